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
		archive, digest, err := f.Fetch(t.Context(), ref, nil)
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
			_, _, err := NewFetcher(repo.Client(), Limits{}).Fetch(t.Context(), ref, nil)
			if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), ref.Repository) {
				t.Fatalf("Fetch = %v, want ErrRepository naming the repository and %q", err, tt.want)
			}
		})
	}
}

// TestFetcherWithCredentials: a chart repository over HTTPS that asks for
// basic auth refuses anonymous downloads (401) and serves the chart with
// the Secret's credentials; an index.yaml that redirects to another host
// is refused, and that host receives nothing.
func TestFetcherWithCredentials(t *testing.T) {
	archive := tgz(t, chartEntries(t, "app", "app")...)
	var elsewhere atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "chart-user" || p != "chart-pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/charts/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  app:\n  - apiVersion: v2\n    name: app\n    version: 1.0.0\n    urls: [app-1.0.0.tgz]\n")
		case "/charts/app-1.0.0.tgz":
			w.Write(archive)
		case "/moved/index.yaml":
			http.Redirect(w, r, other.URL+"/charts/index.yaml", http.StatusFound)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	creds := &Credentials{Username: "chart-user", Password: "chart-pass", Hosts: []string{host}, Source: "Secret ns/charts"}
	ref := ChartRef{Repository: srv.URL + "/charts", Name: "app", Version: "1.0.0"}
	f := NewFetcher(srv.Client(), Limits{})

	if _, _, err := f.Fetch(t.Context(), ref, nil); err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Errorf("anonymous Fetch = %v, want 401 Unauthorized", err)
	}
	if _, digest, err := f.Fetch(t.Context(), ref, creds); err != nil || digest != sha(archive) {
		t.Errorf("Fetch with credentials = %s, %v; want the archive's digest", digest, err)
	}
	moved := ChartRef{Repository: srv.URL + "/moved", Name: "app", Version: "1.0.0"}
	if _, _, err := f.Fetch(t.Context(), moved, creds); err == nil || !strings.Contains(err.Error(), "302 Found") {
		t.Errorf("Fetch through a redirect = %v, want the redirect refused (302 Found)", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
	plain := ChartRef{Repository: "http://" + host + "/charts", Name: "app", Version: "1.0.0"}
	if _, _, err := f.Fetch(t.Context(), plain, creds); !errors.Is(err, ErrCredentials) || !strings.Contains(err.Error(), "never sent over plain HTTP") {
		t.Errorf("Fetch over http:// with credentials = %v, want the credentials refused", err)
	}
}
