package source_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/source"
)

// A Git server that redirects to another host never sees the credentials
// follow: go-git strips them when a redirect leaves the origin.
func TestCredentialsDoNotFollowARedirectToAnotherHost(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusNotFound)
	}))
	defer elsewhere.Close()
	// Another origin: localhost instead of 127.0.0.1.
	target := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()

	f := source.NewFetcher(t.TempDir(), source.Options{})
	auth := source.Auth{Username: "user", Password: "pw-must-not-travel"}
	_, err := f.Fetch(ctxTimeout(t, time.Minute), "redirect", redirector.URL+"/team/env.git", source.Ref{}, auth)
	if err == nil {
		t.Fatal("fetch through a redirect to an empty server succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the redirect was not followed at all; the test proves nothing")
	}
	for _, s := range seen {
		if !strings.HasSuffix(s, "auth=") {
			t.Errorf("the other host received credentials: %s", s)
		}
	}
}
