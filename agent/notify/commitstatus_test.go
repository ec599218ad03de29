package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// apiRecorder stands in for a Git host's commit status endpoint and records
// what it was sent.
type apiRecorder struct {
	mu       sync.Mutex
	requests []recorded
	status   int
}

type recorded struct {
	Method, Path, Auth, Token string
	Body                      map[string]string
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]string
	json.Unmarshal(b, &body)
	a.mu.Lock()
	a.requests = append(a.requests, recorded{r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("PRIVATE-TOKEN"), body})
	status := a.status
	a.mu.Unlock()
	if status == 0 {
		status = http.StatusCreated
	}
	w.WriteHeader(status)
}

const sha = "0123456789abcdef0123456789abcdef01234567"

func TestPostSendsEachProvidersRequest(t *testing.T) {
	tests := []struct {
		provider string
		repoURL  string
		state    State
		want     recorded
	}{
		{GitHub, "https://github.com/acme/envs.git", Success, recorded{"POST", "/repos/acme/envs/statuses/" + sha, "Bearer tok", "",
			map[string]string{"state": "success", "context": "seal/prod/apps", "description": "applied"}}},
		{Gitea, "git@git.example.com:acme/envs.git", Failure, recorded{"POST", "/repos/acme/envs/statuses/" + sha, "token tok", "",
			map[string]string{"state": "failure", "context": "seal/prod/apps", "description": "applied"}}},
		{GitLab, "ssh://git@gitlab.example.com/acme/platform/envs.git", Pending, recorded{"POST", "/projects/acme%2Fplatform%2Fenvs/statuses/" + sha, "", "tok",
			map[string]string{"state": "running", "name": "seal/prod/apps", "description": "applied"}}},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			api := &apiRecorder{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			n, err := New(local(Config{Provider: tt.provider, RepoURL: tt.repoURL, APIURL: srv.URL, Token: "tok"}))
			if err != nil {
				t.Fatal(err)
			}
			s := Status{Revision: sha, State: tt.state, Context: "seal/prod/apps", Description: "applied"}
			for range 3 { // the same status again is not re-sent
				if err := n.Post(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff([]recorded{tt.want}, api.requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPostReportsRejection(t *testing.T) {
	api := &apiRecorder{status: http.StatusForbidden}
	srv := httptest.NewServer(api)
	defer srv.Close()
	n, err := New(local(Config{Provider: GitHub, RepoURL: "https://github.com/acme/envs", APIURL: srv.URL, Token: "secret-token"}))
	if err != nil {
		t.Fatal(err)
	}
	s := Status{Revision: sha, State: Success, Context: "seal/x", Description: "ok"}
	err = n.Post(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("error = %v, want a 403 error without the token", err)
	}
	// A failed post is not remembered: the next attempt sends again.
	api.status = http.StatusCreated
	if err := n.Post(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(api.requests) != 2 {
		t.Errorf("sent %d requests, want 2", len(api.requests))
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no token", Config{Provider: GitHub, RepoURL: "https://github.com/a/b"}, "no API token"},
		{"unknown provider", Config{Provider: "svn", RepoURL: "https://github.com/a/b", Token: "t"}, "unknown provider"},
		{"no owner", Config{Provider: GitHub, RepoURL: "https://user:pw@github.com/b", Token: "t"}, "cannot tell owner"},
		{"bad api url", Config{Provider: GitHub, RepoURL: "https://github.com/a/b", APIURL: "ftp://x", Token: "t"}, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error leaks URL credentials: %v", err)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 200)
	got := truncate(long, maxDescription)
	if n := len([]rune(got)); n != maxDescription || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate gave %d runes ending %q", n, got[len(got)-3:])
	}
	if truncate("short", maxDescription) != "short" {
		t.Error("truncate changed a short string")
	}
}

// fastRetry keeps retry tests quick.
var fastRetry = Retry{Max: 2, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, Timeout: 5 * time.Second}

func TestPostRetriesAnUnavailableAPI(t *testing.T) {
	tests := []struct {
		name      string
		answers   []int
		wantTries int
		wantErr   string // "" means posted
	}{
		{"503 then 201", []int{503, 503, 201}, 3, ""},
		{"429 then 201", []int{429, 201}, 2, ""},
		{"down throughout", []int{503, 503, 503, 503}, 3, "503"},
		{"403 is not retried", []int{403, 201}, 1, "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tries int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.WriteHeader(tt.answers[min(tries, len(tt.answers)-1)])
				tries++
			}))
			defer srv.Close()
			n, err := New(local(Config{Provider: GitHub, RepoURL: "https://github.com/acme/envs", APIURL: srv.URL, Token: "secret-token", Retry: fastRetry}))
			if err != nil {
				t.Fatal(err)
			}
			err = n.Post(context.Background(), Status{Revision: sha, State: Pending, Context: "seal/x"})
			if tries != tt.wantTries {
				t.Errorf("%d tries, want %d", tries, tt.wantTries)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error = %v, want %q without the token", err, tt.wantErr)
			}
		})
	}
}

func TestPostGivesUpOnAClosedListenerWithinItsTimeout(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there now
	n, err := New(local(Config{Provider: Gitea, RepoURL: "https://127.0.0.1/a/b", APIURL: addr, Token: "secret-token",
		Retry: Retry{Max: 100, WaitMin: 10 * time.Millisecond, WaitMax: 50 * time.Millisecond, Timeout: 300 * time.Millisecond}}))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = n.Post(context.Background(), Status{Revision: sha, State: Success, Context: "seal/x"})
	if took := time.Since(start); err == nil || took > 2*time.Second {
		t.Errorf("error %v after %s: want a failure within about the 300ms timeout", err, took)
	}
}
