package receiver

import (
	"net/url"
	"slices"
	"strings"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// NormalizeURL reduces a Git URL to host/path so the forms a forge names
// one repository by compare equal: the scheme, user, port, a trailing
// ".git" or "/" and case are dropped (https://GitHub.com/Org/Env.git,
// git@github.com:org/env and ssh://git@github.com:22/org/env.git are all
// github.com/org/env). Ports go because forges serve SSH and HTTPS on
// different ones; case goes because GitHub, GitLab, Gitea and Bitbucket
// treat owner and repository names case-insensitively. A false match costs
// one early fetch, never a wrong apply. It returns "" for what is not a
// Git URL.
func NormalizeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	var host, path string
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		host, path = u.Hostname(), u.Path
	} else if i := strings.Index(raw, ":"); i > 0 && !strings.Contains(raw, "://") {
		// scp-like: [user@]host:path
		host, path = raw[:i], raw[i+1:]
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = host[at+1:]
		}
	} else {
		return ""
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	path = strings.Trim(path, "/")
	if host == "" || path == "" {
		return ""
	}
	return strings.ToLower(host) + "/" + strings.ToLower(path)
}

// Matches reports whether push names gs's repository and the branch or
// tag it follows. A GitSync pinned to a commit never matches: a push
// cannot change what it syncs. A suspended one does not either.
func (p *Push) Matches(gs *v1alpha1.GitSync) bool {
	if gs.Spec.Suspend {
		return false
	}
	if !p.AnyRepo {
		want := NormalizeURL(gs.Spec.URL)
		if want == "" || !slices.ContainsFunc(p.URLs, func(u string) bool { return NormalizeURL(u) == want }) {
			return false
		}
	}
	ref := gs.Spec.Ref.OrDefault()
	var full string
	switch {
	case ref.Branch != "":
		full = "refs/heads/" + ref.Branch
	case ref.Tag != "":
		full = "refs/tags/" + ref.Tag
	default:
		return false
	}
	return p.AnyRef || slices.Contains(p.Refs, full)
}
