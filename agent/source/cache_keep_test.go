package source_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
)

func TestChangedURLStartsOver(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", map[string][]byte{"a": []byte("from env")})
	other, err := x.srv.CreateRepo("other", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherSHA, err := other.Commit("other", map[string][]byte{"b": []byte("from other")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic); err != nil {
		t.Fatal(err)
	}
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("other"), source.Ref{}, x.basic)
	if err != nil {
		t.Fatal(err)
	}
	if rev.SHA != otherSHA {
		t.Errorf("SHA = %s, want %s", rev.SHA, otherSHA)
	}
	if diff := cmp.Diff(map[string]string{"b": "from other"}, readAll(t, rev.FS)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if got := len(packs(t, x.cache)); got != 1 {
		t.Errorf("cache holds %d packs, want the new repository's 1 only", got)
	}
}

// TestServerErrorKeepsTheCache: a server that answers an error status, or
// garbage that is not the git protocol, tells nothing about the cache, so
// the cache is kept and the error names the URL and the cause.
func TestServerErrorKeepsTheCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answer  func(w http.ResponseWriter)
		mention string
	}{
		{"status 500", func(w http.ResponseWriter) {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
		}, "500"},
		{"garbage", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			w.Write([]byte("zzzz this is not pkt-line\x00\xff<html>nonsense</html>\n"))
		}, "not the git protocol"},
		{"malformed advertisement", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			w.Write([]byte("001e# service=git-upload-pack\n0000000bnonsense0000"))
		}, "not the git protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newFixture(t)
			x.commit(t, "first", manyFiles(3))
			target, err := url.Parse(x.srv.HTTPURL("env"))
			if err != nil {
				t.Fatal(err)
			}
			var failing atomic.Bool
			proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing.Load() {
					tc.answer(w)
					return
				}
				proxy.ServeHTTP(w, r)
			}))
			defer front.Close()
			repoURL := front.URL + target.Path
			if _, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", repoURL, source.Ref{}, x.basic); err != nil {
				t.Fatal(err)
			}
			before := packs(t, x.cache)
			failing.Store(true)
			_, err = x.f.Fetch(ctxTimeout(t, time.Minute), "k", repoURL, source.Ref{}, x.basic)
			if err == nil || !strings.Contains(err.Error(), tc.mention) || !strings.HasPrefix(err.Error(), repoURL) {
				t.Errorf("error = %v, want one naming %s and %q", err, repoURL, tc.mention)
			}
			if diff := cmp.Diff(before, packs(t, x.cache)); diff != "" {
				t.Errorf("the server's answer changed the cache (-before +after):\n%s", diff)
			}
		})
	}
}
