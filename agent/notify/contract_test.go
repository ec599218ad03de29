package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Contract tests: each provider's documented commit status request, as a
// local server standing in for the forge checks it. They pin what Seal
// sends to the APIs' documentation, not to a live forge:
//
//   - GitHub: POST /repos/{owner}/{repo}/statuses/{sha}, "Authorization:
//     Bearer", body {state: pending|success|failure|error, context,
//     description} (docs.github.com, REST "Create a commit status").
//   - Gitea / Forgejo: the same path below /api/v1, "Authorization: token"
//     (Gitea's swagger, repoCreateStatus).
//   - GitLab: POST /projects/{url-encoded path}/statuses/{sha},
//     "PRIVATE-TOKEN", body {state: running|success|failed|canceled, name,
//     description} (GitLab REST "Commits API", set commit pipeline status).
//   - Bitbucket Cloud: POST /2.0/repositories/{workspace}/{repo_slug}/
//     commit/{commit}/statuses/build, "Authorization: Bearer" (access
//     token) or Basic (app password), body {key, state: INPROGRESS|
//     SUCCESSFUL|FAILED|STOPPED, name, description, url}.

// contractRequest is what a contract server saw of one request.
type contractRequest struct {
	Method, Path string
	Header       map[string]string // the headers the contract names
	Body         map[string]string
}

func contractServer(t *testing.T, authHeader string) (*httptest.Server, *[]contractRequest) {
	t.Helper()
	var seen []contractRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		var body map[string]string
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %q is not a JSON object of strings: %v", b, err)
		}
		seen = append(seen, contractRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Body: body,
			Header: map[string]string{
				"Content-Type": r.Header.Get("Content-Type"), "Accept": r.Header.Get("Accept"),
				authHeader: r.Header.Get(authHeader),
			},
		})
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// contractStatuses are the four statuses a revision can get.
var contractStatuses = []Status{
	{Revision: sha, State: Pending, Context: "seal/prod/apps/web", Description: "syncing revision 0123456789ab"},
	{Revision: sha, State: Success, Context: "seal/prod/apps/web", Description: "Applied revision 0123456789ab (3 objects)"},
	{Revision: sha, State: Failure, Context: "seal/prod/apps/web", Description: "ApplyFailed: ConfigMap apps/x: invalid"},
	{Revision: sha, State: Superseded, Context: "seal/prod/apps/web", Description: "superseded by fedcba987654"},
}

func runContract(t *testing.T, cfg Config, authHeader string, want func(s Status) contractRequest) {
	t.Helper()
	srv, seen := contractServer(t, authHeader)
	cfg.APIURL = strings.Replace(cfg.APIURL, "API", srv.URL, 1)
	n, err := New(local(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var wantAll []contractRequest
	for _, s := range contractStatuses {
		if err := n.Post(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s.State, err)
		}
		wantAll = append(wantAll, want(s))
	}
	if diff := cmp.Diff(wantAll, *seen); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func jsonHeaders(name, value string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "Accept": "application/json", name: value}
}

func TestContractGitHub(t *testing.T) {
	states := map[State]string{Pending: "pending", Success: "success", Failure: "failure", Superseded: "error"}
	runContract(t, Config{RepoURL: "https://github.com/acme/envs.git", APIURL: "API", Token: "ghp_tok"}, "Authorization",
		func(s Status) contractRequest {
			return contractRequest{"POST", "/repos/acme/envs/statuses/" + sha, jsonHeaders("Authorization", "Bearer ghp_tok"),
				map[string]string{"state": states[s.State], "context": s.Context, "description": s.Description}}
		})
}

func TestContractGitea(t *testing.T) {
	states := map[State]string{Pending: "pending", Success: "success", Failure: "failure", Superseded: "error"}
	runContract(t, Config{Provider: Gitea, RepoURL: "https://git.example.com/acme/envs.git", APIURL: "API/api/v1", Token: "gitea_tok"}, "Authorization",
		func(s Status) contractRequest {
			return contractRequest{"POST", "/api/v1/repos/acme/envs/statuses/" + sha, jsonHeaders("Authorization", "token gitea_tok"),
				map[string]string{"state": states[s.State], "context": s.Context, "description": s.Description}}
		})
}

func TestContractGitLab(t *testing.T) {
	states := map[State]string{Pending: "running", Success: "success", Failure: "failed", Superseded: "canceled"}
	runContract(t, Config{RepoURL: "git@gitlab.com:acme/platform/envs.git", APIURL: "API/api/v4", Token: "glpat_tok"}, "PRIVATE-TOKEN",
		func(s Status) contractRequest {
			return contractRequest{"POST", "/api/v4/projects/acme%2Fplatform%2Fenvs/statuses/" + sha, jsonHeaders("PRIVATE-TOKEN", "glpat_tok"),
				map[string]string{"state": states[s.State], "name": s.Context, "description": s.Description}}
		})
}

func TestContractBitbucket(t *testing.T) {
	states := map[State]string{Pending: "INPROGRESS", Success: "SUCCESSFUL", Failure: "FAILED", Superseded: "STOPPED"}
	want := func(auth string) func(s Status) contractRequest {
		return func(s Status) contractRequest {
			return contractRequest{"POST", "/2.0/repositories/acme/envs/commit/" + sha + "/statuses/build", jsonHeaders("Authorization", auth),
				map[string]string{"state": states[s.State], "key": s.Context, "name": s.Context, "description": s.Description,
					"url": "https://bitbucket.org/acme/envs"}}
		}
	}
	t.Run("access token", func(t *testing.T) {
		runContract(t, Config{RepoURL: "https://bitbucket.org/acme/envs.git", APIURL: "API/2.0", Token: "bb_tok"}, "Authorization", want("Bearer bb_tok"))
	})
	t.Run("app password", func(t *testing.T) {
		// base64("deploy-bot:app-pw")
		runContract(t, Config{RepoURL: "git@bitbucket.org:acme/envs.git", APIURL: "API/2.0", Username: "deploy-bot", Token: "app-pw"}, "Authorization",
			want("Basic ZGVwbG95LWJvdDphcHAtcHc="))
	})
}

func TestBitbucketKeyStaysWithinFortyCharacters(t *testing.T) {
	long := StatusContext("production-eu-west", "platform-team", "applications-frontend")
	key := bitbucketKey(long)
	if len(key) != 40 || key == long[:40] {
		t.Errorf("key %q for %q: want a 40-character hash", key, long)
	}
	if bitbucketKey(long) != key {
		t.Error("the key is not stable")
	}
	if short := "seal/a/b/c"; bitbucketKey(short) != short {
		t.Errorf("a short context became %q", bitbucketKey(short))
	}
}

func TestDetectProvider(t *testing.T) {
	tests := []struct{ url, want, wantErr string }{
		{"https://github.com/acme/envs.git", GitHub, ""},
		{"git@github.com:acme/envs.git", GitHub, ""},
		{"ssh://git@gitlab.com/acme/platform/envs.git", GitLab, ""},
		{"https://bitbucket.org/acme/envs.git", Bitbucket, ""},
		{"https://GitHub.com/acme/envs", GitHub, ""},
		{"https://git.example.com/acme/envs.git", "", "set spec.commitStatus.provider"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := DetectProvider(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDefaultAPIHostsOfPublicForges(t *testing.T) {
	for _, tt := range []struct{ repo, want string }{
		{"https://github.com/a/b", "https://api.github.com"},
		{"https://bitbucket.org/a/b", "https://api.bitbucket.org/2.0"},
		{"https://gitlab.com/a/b", "https://gitlab.com/api/v4"},
	} {
		n, err := New(Config{RepoURL: tt.repo, Token: "t"})
		if err != nil {
			t.Fatalf("%s: %v", tt.repo, err)
		}
		if got := n.api.String(); got != tt.want {
			t.Errorf("%s: API %s, want %s", tt.repo, got, tt.want)
		}
	}
}

func TestValidateClusterName(t *testing.T) {
	for name, ok := range map[string]bool{
		"default": true, "prod-eu-1": true, "a": true,
		"": false, "Prod": false, "-a": false, "a-": false, "a/b": false, "a.b": false, strings.Repeat("a", 33): false,
	} {
		if err := ValidateClusterName(name); (err == nil) != ok {
			t.Errorf("ValidateClusterName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
