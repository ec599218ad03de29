package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"
)

// State is a commit status state, in Seal's words; each provider maps it to
// its own.
type State string

const (
	Pending State = "pending"
	Success State = "success"
	Failure State = "failure"
)

// Status is one commit status.
type Status struct {
	Revision    string // full commit SHA
	State       State
	Context     string // stable name, e.g. "seal/prod/apps": one status line per GitSync
	Description string // one short line
}

// Provider names.
const (
	GitHub = "github"
	GitLab = "gitlab"
	Gitea  = "gitea" // also Forgejo, whose API is Gitea's
)

// Config says where statuses go.
type Config struct {
	Provider string // GitHub, GitLab or Gitea
	// RepoURL is the repository's clone URL (HTTPS, ssh:// or scp-like);
	// the owner and repository are taken from its path.
	RepoURL string
	// APIURL is the API's base URL; default https://api.github.com for
	// GitHub, and https://<host>/api/v4 or https://<host>/api/v1 for GitLab
	// and Gitea from the repository's host.
	APIURL string
	Token  string
	// AllowedHosts are API hosts statuses (and the token) may go to besides
	// the repository's own host (and api.github.com for github.com).
	AllowedHosts []string
	// Addresses says which addresses the default client may dial.
	Addresses AddressPolicy
	// HTTPClient defaults to Addresses.Client(): no redirects, no refused
	// addresses.
	HTTPClient *http.Client
}

// maxDescription is GitHub's limit; the others allow more.
const maxDescription = 140

// Notifier posts commit statuses, skipping one identical to the last it
// posted for the same context and revision, so an unchanged resync every
// interval costs the Git host nothing.
type Notifier struct {
	provider string
	repo     string // "owner/name" (GitLab: full project path)
	api      *url.URL
	token    string
	client   *http.Client

	mu   sync.Mutex
	last map[string]Status // by Context
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	host, repo, err := repoPath(cfg.RepoURL)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("commit status: no API token: put one under the key \"token\" of the commit status Secret")
	}
	api := cfg.APIURL
	if api == "" {
		switch cfg.Provider {
		case GitHub:
			api = "https://api.github.com"
		case GitLab:
			api = "https://" + host + "/api/v4"
		case Gitea:
			api = "https://" + host + "/api/v1"
		}
	}
	switch cfg.Provider {
	case GitHub, GitLab, Gitea:
	default:
		return nil, fmt.Errorf("commit status: unknown provider %q: use %s, %s or %s", cfg.Provider, GitHub, GitLab, Gitea)
	}
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("commit status: API URL %q is not an http(s) URL", redactURL(api))
	}
	if u.User != nil {
		return nil, fmt.Errorf("commit status: API URL %q must not hold credentials: put the token in the Secret", redactURL(api))
	}
	if !apiHostAllowed(cfg.Provider, host, u.Hostname(), cfg.AllowedHosts) {
		return nil, fmt.Errorf("commit status: %w: API host %s is not the repository's host %s, and the token is sent only there: add %s to the agent's --commit-status-hosts if it is the API of %s",
			ErrHostRefused, u.Hostname(), host, u.Hostname(), host)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = cfg.Addresses.Client()
	}
	return &Notifier{provider: cfg.Provider, repo: repo, api: u, token: cfg.Token, client: client, last: map[string]Status{}}, nil
}

// Post sends s unless it equals the last status posted for s.Context.
func (n *Notifier) Post(ctx context.Context, s Status) error {
	s.Description = truncate(s.Description, maxDescription)
	n.mu.Lock()
	same := n.last[s.Context] == s
	n.mu.Unlock()
	if same {
		return nil
	}
	req, err := n.request(ctx, s)
	if err != nil {
		return err
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("commit status for %s on %s: %w", short(s.Revision), n.api.Host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 3 {
		return fmt.Errorf("commit status for %s on %s: %s to %q: not followed, so the token goes nowhere else: set spec.commitStatus.apiURL to the API's final address", short(s.Revision), n.api.Host, resp.Status, redactURL(resp.Header.Get("Location")))
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("commit status for %s on %s: %s: check the token can write commit statuses of %s", short(s.Revision), n.api.Host, resp.Status, n.repo)
	}
	n.mu.Lock()
	n.last[s.Context] = s
	n.mu.Unlock()
	return nil
}

func (n *Notifier) request(ctx context.Context, s Status) (*http.Request, error) {
	var path string
	var body any
	switch n.provider {
	case GitLab:
		state := map[State]string{Pending: "running", Success: "success", Failure: "failed"}[s.State]
		path = "/projects/" + url.PathEscape(n.repo) + "/statuses/" + s.Revision
		body = map[string]string{"state": state, "name": s.Context, "description": s.Description}
	default: // GitHub and Gitea share the API shape
		state := map[State]string{Pending: "pending", Success: "success", Failure: "failure"}[s.State]
		path = "/repos/" + n.repo + "/statuses/" + s.Revision
		body = map[string]string{"state": state, "context": s.Context, "description": s.Description}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	// path is already escaped (GitLab's project id holds %2F), so join text.
	endpoint := strings.TrimSuffix(n.api.String(), "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	switch n.provider {
	case GitLab:
		req.Header.Set("PRIVATE-TOKEN", n.token)
	case Gitea:
		req.Header.Set("Authorization", "token "+n.token)
	default:
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	return req, nil
}

// repoPath returns the host and the repository path ("owner/name") of a
// clone URL.
func repoPath(raw string) (host, repo string, err error) {
	switch {
	case strings.Contains(raw, "://"):
		u, perr := url.Parse(raw)
		if perr != nil {
			return "", "", fmt.Errorf("commit status: repository URL is not valid: %w", perr)
		}
		host, repo = u.Hostname(), u.Path
	case strings.Contains(raw, ":"): // scp-like: git@host:owner/repo.git
		userHost, path, _ := strings.Cut(raw, ":")
		_, host, _ = strings.Cut(userHost, "@")
		if host == "" {
			host = userHost
		}
		repo = path
	}
	repo = strings.TrimSuffix(strings.Trim(repo, "/"), ".git")
	if host == "" || !strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("commit status: cannot tell owner and repository from %q", redactURL(raw))
	}
	return host, repo, nil
}

// redactURL drops any userinfo, so a token in a URL never reaches an error.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return raw
}

// truncate shortens s to n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
