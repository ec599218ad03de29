package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
)

// State is a commit status state, in Seal's words; each provider maps it to
// its own (stateName).
type State string

const (
	Pending State = "pending"
	Success State = "success"
	Failure State = "failure"
	// Superseded: a newer revision replaced this one before its sync
	// finished.
	Superseded State = "superseded"
)

// Status is one commit status.
type Status struct {
	Revision    string // full commit SHA
	State       State
	Context     string // stable name, e.g. "seal/prod/apps/web": one status line per GitSync and cluster
	Description string // one short line
}

// Config says where statuses go.
type Config struct {
	// Provider is GitHub, GitLab, Gitea or Bitbucket; empty: detected from
	// RepoURL's host (github.com, gitlab.com, bitbucket.org).
	Provider string
	// RepoURL is the repository's clone URL (HTTPS, ssh:// or scp-like);
	// the owner and repository are taken from its path.
	RepoURL string
	// APIURL is the API's base URL; default https://api.github.com for
	// github.com, https://api.bitbucket.org/2.0 for bitbucket.org, and
	// https://<host>/api/v3, /api/v4 or /api/v1 for GitHub Enterprise,
	// GitLab and Gitea from the repository's host.
	APIURL string
	Token  string
	// Username, when set, makes Bitbucket use HTTP basic auth with Token as
	// an app password; otherwise Token is a bearer access token.
	Username string
	// AllowedHosts are API hosts statuses (and the token) may go to besides
	// the repository's own host (and the public forges' API hosts).
	AllowedHosts []string
	// Addresses says which addresses the default client may dial.
	Addresses AddressPolicy
	// HTTPClient defaults to Addresses.Client(): no redirects, no refused
	// addresses.
	HTTPClient *http.Client
	// Retry bounds the retries of one post; zero: DefaultRetry.
	Retry Retry
}

// Retry bounds the retries of one post: up to Max more attempts after the
// first, waiting between WaitMin and WaitMax (doubling), all within
// Timeout.
type Retry struct {
	Max              int
	WaitMin, WaitMax time.Duration
	Timeout          time.Duration
}

// DefaultRetry tries a post three times over at most 15 seconds, so a
// forge that is down delays a sync by little.
var DefaultRetry = Retry{Max: 2, WaitMin: 500 * time.Millisecond, WaitMax: 2 * time.Second, Timeout: 15 * time.Second}

// maxDescription is GitHub's limit; the others allow more.
const maxDescription = 140

// Notifier posts commit statuses, skipping one identical to the last it
// posted for the same context and revision, so an unchanged resync every
// interval costs the Git host nothing.
type Notifier struct {
	provider string
	repo     string // "owner/name" (GitLab: full project path)
	webURL   string // the repository's page
	api      *url.URL
	username string
	token    string
	client   *retryablehttp.Client
	timeout  time.Duration

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
	if cfg.Provider == "" {
		if cfg.Provider, err = DetectProvider(cfg.RepoURL); err != nil {
			return nil, err
		}
	}
	if !slices.Contains(providers, cfg.Provider) {
		return nil, fmt.Errorf("commit status: unknown provider %q: use one of %s", cfg.Provider, strings.Join(providers, ", "))
	}
	if cfg.Provider == Bitbucket && strings.Count(repo, "/") != 1 {
		return nil, fmt.Errorf("commit status: cannot tell workspace and repository from %q", redactURL(cfg.RepoURL))
	}
	api := cfg.APIURL
	if api == "" {
		api = defaultAPI(cfg.Provider, host)
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
	retry := cfg.Retry
	if retry == (Retry{}) {
		retry = DefaultRetry
	}
	return &Notifier{
		provider: cfg.Provider, repo: repo, webURL: "https://" + host + "/" + repo, api: u,
		username: cfg.Username, token: cfg.Token, client: retrying(client, retry), timeout: retry.Timeout,
		last: map[string]Status{},
	}, nil
}

// retrying wraps client with go-retryablehttp: connection errors, 429 and
// 5xx answers are retried with exponential backoff (honouring
// Retry-After), refused hosts and redirects are not, and nothing is
// logged (a log line could carry the URL; the token is never in it, but
// the agent logs only what it decides to).
func retrying(client *http.Client, r Retry) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   client,
		Logger:       nil,
		RetryMax:     r.Max,
		RetryWaitMin: r.WaitMin,
		RetryWaitMax: r.WaitMax,
		// DefaultBackoff honours Retry-After without a bound: keep WaitMax.
		Backoff: func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
			return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
		},
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			if errors.Is(err, ErrHostRefused) {
				return false, err
			}
			return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		},
		// Return the last answer or error as it is: Post says what it
		// means.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// Provider is the provider statuses go to (detected when the Config left
// it empty).
func (n *Notifier) Provider() string { return n.provider }

// Posted is the last status posted for context, if any.
func (n *Notifier) Posted(context string) (Status, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.last[context]
	return s, ok
}

// Post sends s unless it equals the last status posted for s.Context,
// retrying as the Config's Retry says.
func (n *Notifier) Post(ctx context.Context, s Status) error {
	s.Description = truncate(s.Description, maxDescription)
	n.mu.Lock()
	same := n.last[s.Context] == s
	n.mu.Unlock()
	if same {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := n.request(ctx, s)
	if err != nil {
		return err
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("commit status %s for %s on %s: %w", s.State, short(s.Revision), n.api.Host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 3 {
		return fmt.Errorf("commit status %s for %s on %s: %s to %q: not followed, so the token goes nowhere else: set spec.commitStatus.apiURL to the API's final address", s.State, short(s.Revision), n.api.Host, resp.Status, redactURL(resp.Header.Get("Location")))
	}
	if resp.StatusCode/100 != 2 {
		hint := "check the token can write commit statuses of " + n.repo
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode/100 == 5 {
			hint = "the API is unavailable; retried on the next sync"
		}
		return fmt.Errorf("commit status %s for %s on %s: %s: %s", s.State, short(s.Revision), n.api.Host, resp.Status, hint)
	}
	n.mu.Lock()
	n.last[s.Context] = s
	n.mu.Unlock()
	return nil
}

func (n *Notifier) request(ctx context.Context, s Status) (*retryablehttp.Request, error) {
	b, err := json.Marshal(body(n.provider, s, n.webURL))
	if err != nil {
		return nil, err
	}
	// The path is already escaped (GitLab's project id holds %2F), so
	// join text.
	target := strings.TrimSuffix(n.api.String(), "/") + endpoint(n.provider, n.repo, s.Revision)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, target, b)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(authHeader(n.provider, n.username, n.token))
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

func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
