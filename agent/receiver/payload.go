package receiver

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Push is what a push delivery says: which repository (under each of the
// URLs the forge names it by) and which refs moved.
type Push struct {
	// URLs name the pushed repository: clone, SSH and web URLs.
	URLs []string
	// Refs are the full refs pushed: refs/heads/main, refs/tags/v1.
	Refs []string
	// AnyRepo and AnyRef are set by a generic delivery that names no
	// repository or no ref: it matches every GitSync the Receiver selects
	// (or every ref).
	AnyRepo, AnyRef bool
}

// ParsePush reads a delivery. It returns nil and no error for an event
// that is not a push (GitHub's ping, a GitLab merge request hook), which
// the caller answers 200 and ignores.
func ParsePush(provider v1alpha1.ReceiverProvider, header http.Header, body []byte) (*Push, error) {
	switch provider {
	case v1alpha1.ProviderGitHub:
		if header.Get("X-GitHub-Event") != "push" {
			return nil, nil
		}
		return parseGitHubLike(body)
	case v1alpha1.ProviderGitea, v1alpha1.ProviderForgejo:
		event := header.Get("X-Gitea-Event")
		if event == "" {
			event = header.Get("X-Forgejo-Event")
		}
		if event != "push" {
			return nil, nil
		}
		return parseGitHubLike(body)
	case v1alpha1.ProviderGitLab:
		return parseGitLab(body)
	case v1alpha1.ProviderBitbucket:
		if header.Get("X-Event-Key") != "repo:push" {
			return nil, nil
		}
		return parseBitbucket(body)
	case v1alpha1.ProviderGeneric:
		return parseGeneric(body)
	}
	return nil, fmt.Errorf("unknown provider %q", provider)
}

// parseGitHubLike reads GitHub's push payload, which Gitea and Forgejo
// copy: ref and repository.{clone_url,ssh_url,html_url,git_url}.
func parseGitHubLike(body []byte) (*Push, error) {
	var p struct {
		Ref        string `json:"ref"`
		Repository struct {
			CloneURL string `json:"clone_url"`
			SSHURL   string `json:"ssh_url"`
			HTMLURL  string `json:"html_url"`
			GitURL   string `json:"git_url"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding the push payload: %w", err)
	}
	r := p.Repository
	return &Push{URLs: nonEmpty(r.CloneURL, r.SSHURL, r.HTMLURL, r.GitURL), Refs: nonEmpty(p.Ref)}, nil
}

// parseGitLab reads GitLab's push and tag push hooks (object_kind push or
// tag_push); other hooks are not pushes.
func parseGitLab(body []byte) (*Push, error) {
	var p struct {
		ObjectKind string `json:"object_kind"`
		Ref        string `json:"ref"`
		Project    struct {
			GitHTTPURL string `json:"git_http_url"`
			GitSSHURL  string `json:"git_ssh_url"`
			WebURL     string `json:"web_url"`
		} `json:"project"`
		Repository struct {
			URL        string `json:"url"`
			GitHTTPURL string `json:"git_http_url"`
			GitSSHURL  string `json:"git_ssh_url"`
			Homepage   string `json:"homepage"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding the push payload: %w", err)
	}
	if p.ObjectKind != "push" && p.ObjectKind != "tag_push" {
		return nil, nil
	}
	return &Push{
		URLs: nonEmpty(p.Project.GitHTTPURL, p.Project.GitSSHURL, p.Project.WebURL,
			p.Repository.URL, p.Repository.GitHTTPURL, p.Repository.GitSSHURL, p.Repository.Homepage),
		Refs: nonEmpty(p.Ref),
	}, nil
}

// parseBitbucket reads Bitbucket Cloud's repo:push: the repository's web
// link (its clone URLs are the same with .git, or git@host:path) and each
// change's new branch or tag.
func parseBitbucket(body []byte) (*Push, error) {
	var p struct {
		Repository struct {
			Links struct {
				HTML struct {
					Href string `json:"href"`
				} `json:"html"`
			} `json:"links"`
		} `json:"repository"`
		Push struct {
			Changes []struct {
				New *struct {
					Type string `json:"type"`
					Name string `json:"name"`
				} `json:"new"`
			} `json:"changes"`
		} `json:"push"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding the push payload: %w", err)
	}
	push := &Push{URLs: nonEmpty(p.Repository.Links.HTML.Href)}
	for _, c := range p.Push.Changes {
		if c.New == nil { // a deleted branch: nothing to sync
			continue
		}
		switch c.New.Type {
		case "branch", "named_branch":
			push.Refs = append(push.Refs, "refs/heads/"+c.New.Name)
		case "tag", "annotated_tag":
			push.Refs = append(push.Refs, "refs/tags/"+c.New.Name)
		}
	}
	return push, nil
}

// parseGeneric reads the generic form: an optional JSON object with "url"
// (the repository) and "ref" (refs/heads/main, or a bare branch name). An
// empty body, or one without them, matches every selected GitSync.
func parseGeneric(body []byte) (*Push, error) {
	var p struct {
		URL string `json:"url"`
		Ref string `json:"ref"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("decoding the generic payload: %w", err)
		}
	}
	push := &Push{URLs: nonEmpty(p.URL), AnyRepo: p.URL == "", AnyRef: p.Ref == ""}
	if p.Ref != "" {
		ref := p.Ref
		if !hasRefPrefix(ref) {
			ref = "refs/heads/" + ref
		}
		push.Refs = []string{ref}
	}
	return push, nil
}

func hasRefPrefix(ref string) bool {
	return len(ref) > 5 && ref[:5] == "refs/"
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
