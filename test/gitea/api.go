package gitea

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/seal-gitops/seal/test/worktree"
)

// maxResponse caps what a helper reads of one API response.
const maxResponse = 4 << 20

// APIURL is the base of Gitea's REST API, "http://127.0.0.1:PORT/api/v1".
func (s *Server) APIURL() string { return s.URL + "api/v1" }

// Do calls the API as the admin user (basic auth): method on path (below
// /api/v1, e.g. "/user/repos"), with in as the JSON body when not nil, and
// decodes the JSON answer into out when not nil. A status other than 2xx is
// an error that quotes the start of Gitea's answer.
func (s *Server) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("gitea: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.APIURL()+path, body)
	if err != nil {
		return fmt.Errorf("gitea: %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(s.AdminUser, s.AdminPassword)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("gitea: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("gitea: %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gitea: %s %s: %s: %s", method, path, resp.Status, tailLines(string(b), 5))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("gitea: %s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// CreateToken creates an API token of the admin user with scopes (such as
// "write:repository"), and returns it.
func (s *Server) CreateToken(ctx context.Context, name string, scopes ...string) (string, error) {
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	err := s.Do(ctx, http.MethodPost, "/users/"+url.PathEscape(s.AdminUser)+"/tokens",
		map[string]any{"name": name, "scopes": scopes}, &tok)
	if err != nil {
		return "", err
	}
	if tok.SHA1 == "" {
		return "", fmt.Errorf("gitea: token %q created without its value in the answer", name)
	}
	return tok.SHA1, nil
}

// RepoOptions describes a repository to create.
type RepoOptions struct {
	Name    string
	Private bool // needs credentials to clone
	// Work is the local work tree that pushes to it; default: a directory
	// under the server's.
	Work string
}

// CreateRepo creates an empty repository of the admin user (default
// branch main) and a local work tree that pushes to it.
func (s *Server) CreateRepo(ctx context.Context, opts RepoOptions) (*Repo, error) {
	var created struct {
		CloneURL string `json:"clone_url"`
		FullName string `json:"full_name"`
	}
	err := s.Do(ctx, http.MethodPost, "/user/repos", map[string]any{
		"name": opts.Name, "private": opts.Private, "default_branch": "main", "auto_init": false,
	}, &created)
	if err != nil {
		return nil, err
	}
	work := opts.Work
	if work == "" {
		work = filepath.Join(s.dir, "worktrees", opts.Name)
	}
	// The credentials go in a header for pushes only, never into the
	// work tree's configuration.
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(s.AdminUser+":"+s.AdminPassword))
	tree, err := worktree.Init(work, created.CloneURL, "http.extraHeader="+auth)
	if err != nil {
		return nil, err
	}
	return &Repo{Owner: s.AdminUser, Name: opts.Name, CloneURL: created.CloneURL, Tree: tree}, nil
}

// Webhook is a repository webhook of type "gitea".
type Webhook struct {
	URL    string
	Secret string   // HMAC-SHA256 key for X-Gitea-Signature
	Events []string // default: push
	Branch string   // branch filter; default "*"
}

// AddWebhook adds a webhook to owner/repo, active at once, delivering JSON,
// and returns its id.
func (s *Server) AddWebhook(ctx context.Context, owner, repo string, h Webhook) (int64, error) {
	if len(h.Events) == 0 {
		h.Events = []string{"push"}
	}
	if h.Branch == "" {
		h.Branch = "*"
	}
	var created struct {
		ID int64 `json:"id"`
	}
	err := s.Do(ctx, http.MethodPost, repoPath(owner, repo)+"/hooks", map[string]any{
		"type":          "gitea",
		"active":        true,
		"events":        h.Events,
		"branch_filter": h.Branch,
		"config":        map[string]string{"url": h.URL, "content_type": "json", "secret": h.Secret},
	}, &created)
	return created.ID, err
}

// CommitStatus is one commit status as Gitea's API returns it.
type CommitStatus struct {
	ID          int64     `json:"id"`
	State       string    `json:"status"` // pending, success, error, failure, warning
	Context     string    `json:"context"`
	Description string    `json:"description"`
	TargetURL   string    `json:"target_url"`
	Created     time.Time `json:"created_at"`
}

// CommitStatuses lists every status posted on sha in owner/repo, newest
// first, all contexts and repeats included.
func (s *Server) CommitStatuses(ctx context.Context, owner, repo, sha string) ([]CommitStatus, error) {
	var all []CommitStatus
	for page := 1; ; page++ {
		var got []CommitStatus
		path := fmt.Sprintf("%s/commits/%s/statuses?limit=50&page=%d", repoPath(owner, repo), url.PathEscape(sha), page)
		if err := s.Do(ctx, http.MethodGet, path, nil, &got); err != nil {
			return nil, err
		}
		all = append(all, got...)
		if len(got) < 50 {
			// Gitea sorts by creation time in seconds; ids break the ties.
			slices.SortFunc(all, func(a, b CommitStatus) int { return cmp.Compare(b.ID, a.ID) })
			return all, nil
		}
	}
}

// PostStatus posts a commit status on sha as the admin user.
func (s *Server) PostStatus(ctx context.Context, owner, repo, sha string, st CommitStatus) error {
	return s.Do(ctx, http.MethodPost, repoPath(owner, repo)+"/statuses/"+url.PathEscape(sha), map[string]string{
		"state": st.State, "context": st.Context, "description": st.Description, "target_url": st.TargetURL,
	}, nil)
}

func repoPath(owner, repo string) string {
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo)
}
