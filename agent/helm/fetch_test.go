package helm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// chartRepo serves index.yaml and the archive of testdata chart app 1.0.0
// and counts archive downloads.
type chartRepo struct {
	*httptest.Server
	archive   []byte
	downloads atomic.Int32
	// digest is what index.yaml names; the archive's own when "".
	digest string
	// url is the archive's URL in index.yaml; a relative one when "".
	url string
}

func newChartRepo(t *testing.T) *chartRepo {
	t.Helper()
	r := &chartRepo{archive: tgz(t, chartEntries(t, "app", "app")...)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/charts/index.yaml":
			sum := sha256.Sum256(r.archive)
			digest := r.digest
			if digest == "" {
				digest = hex.EncodeToString(sum[:])
			}
			u := r.url
			if u == "" {
				u = "app-1.0.0.tgz"
			}
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  app:\n  - apiVersion: v2\n    name: app\n    version: 1.0.0\n    digest: %s\n    urls: [%s]\n  - apiVersion: v2\n    name: app\n    version: 0.9.0\n    urls: [app-0.9.0.tgz]\n", digest, u)
		case "/charts/app-1.0.0.tgz":
			r.downloads.Add(1)
			w.Write(r.archive)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func TestFetcherCachesByDigest(t *testing.T) {
	repo := newChartRepo(t)
	f := NewFetcher(repo.Client(), Limits{})
	ref := ChartRef{Repository: repo.URL + "/charts", Name: "app", Version: "1.0.0"}
	for range 3 {
		archive, digest, err := f.Fetch(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(archive)
		if digest != hex.EncodeToString(sum[:]) {
			t.Fatalf("digest %s is not the archive's", digest)
		}
		if _, err := LoadArchive("app-1.0.0.tgz", archive, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := repo.downloads.Load(); n != 1 {
		t.Errorf("the archive was downloaded %d times, want once", n)
	}
}

func TestFetcherRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *chartRepo) ChartRef
		want  string
	}{
		{"missing chart", func(r *chartRepo) ChartRef {
			return ChartRef{Repository: r.URL + "/charts", Name: "nope", Version: "1.0.0"}
		}, `no chart "nope" in index.yaml`},
		{"missing version", func(r *chartRepo) ChartRef {
			return ChartRef{Repository: r.URL + "/charts", Name: "app", Version: "2.0.0"}
		}, "chart app has no version 2.0.0"},
		{"no index", func(r *chartRepo) ChartRef {
			return ChartRef{Repository: r.URL + "/elsewhere", Name: "app", Version: "1.0.0"}
		}, "404 Not Found"},
		{"digest mismatch", func(r *chartRepo) ChartRef {
			r.digest = "sha256:" + strings.Repeat("0", 64)
			return ChartRef{Repository: r.URL + "/charts", Name: "app", Version: "1.0.0"}
		}, "is not the sha256:0000"},
		{"archive over the cap", func(r *chartRepo) ChartRef {
			r.archive = make([]byte, 11<<20)
			return ChartRef{Repository: r.URL + "/charts", Name: "app", Version: "1.0.0"}
		}, "over the limit"},
		{"chart on another host", func(r *chartRepo) ChartRef {
			r.url = "http://other.example.com/app-1.0.0.tgz"
			return ChartRef{Repository: r.URL + "/charts", Name: "app", Version: "1.0.0"}
		}, "on another host (other.example.com)"},
		{"repository down", func(r *chartRepo) ChartRef {
			r.Close()
			return ChartRef{Repository: r.URL + "/charts", Name: "app", Version: "1.0.0"}
		}, "the repository is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newChartRepo(t)
			ref := tt.setup(repo)
			_, _, err := NewFetcher(repo.Client(), Limits{}).Fetch(t.Context(), ref)
			if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), ref.Repository) {
				t.Fatalf("Fetch = %v, want ErrRepository naming the repository and %q", err, tt.want)
			}
		})
	}
}
