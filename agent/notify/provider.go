package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Provider names.
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Gitea     = "gitea" // also Forgejo, whose API is Gitea's
	Bitbucket = "bitbucket"
)

// Providers are the providers Seal posts to, in the order messages name
// them.
var providers = []string{GitHub, GitLab, Gitea, Bitbucket}

// knownHosts are the public forges whose provider the Git URL's host tells.
// A self-hosted server's provider must be set explicitly.
var knownHosts = map[string]string{
	"github.com":    GitHub,
	"gitlab.com":    GitLab,
	"bitbucket.org": Bitbucket,
}

// DetectProvider returns the provider of a clone URL's host (github.com,
// gitlab.com or bitbucket.org), or an error saying to set it.
func DetectProvider(repoURL string) (string, error) {
	host, _, err := repoPath(repoURL)
	if err != nil {
		return "", err
	}
	if p, ok := knownHosts[strings.ToLower(host)]; ok {
		return p, nil
	}
	return "", fmt.Errorf("commit status: cannot tell the provider of %s from its host: set spec.commitStatus.provider to one of %s", host, strings.Join(providers, ", "))
}

// defaultAPI is the provider's API base URL for a repository on host.
func defaultAPI(provider, host string) string {
	switch provider {
	case GitHub:
		if strings.EqualFold(host, "github.com") {
			return "https://api.github.com"
		}
		return "https://" + host + "/api/v3" // GitHub Enterprise Server
	case GitLab:
		return "https://" + host + "/api/v4"
	case Gitea:
		return "https://" + host + "/api/v1"
	case Bitbucket:
		if strings.EqualFold(host, "bitbucket.org") {
			return "https://api.bitbucket.org/2.0"
		}
		return "https://" + host + "/2.0"
	}
	return ""
}

// publicAPIHost is the API host of a public forge whose API lives on
// another host than its Git URL; the token may go there too.
func publicAPIHost(provider, gitHost string) string {
	switch {
	case provider == GitHub && gitHost == "github.com":
		return "api.github.com"
	case provider == Bitbucket && gitHost == "bitbucket.org":
		return "api.bitbucket.org"
	}
	return ""
}

// stateName maps Seal's state to the provider's. Superseded is the state
// a revision gets when a newer one replaced it before its sync finished:
// GitHub and Gitea have no "cancelled", and "error" (the check could not
// finish) says that better than "failure" (the revision was tried and
// found wanting); GitLab has "canceled" and Bitbucket "STOPPED".
func stateName(provider string, s State) string {
	switch provider {
	case GitLab:
		return map[State]string{Pending: "running", Success: "success", Failure: "failed", Superseded: "canceled"}[s]
	case Bitbucket:
		return map[State]string{Pending: "INPROGRESS", Success: "SUCCESSFUL", Failure: "FAILED", Superseded: "STOPPED"}[s]
	default:
		return map[State]string{Pending: "pending", Success: "success", Failure: "failure", Superseded: "error"}[s]
	}
}

// endpoint is the path, below the API base URL, statuses of revision are
// posted to, already escaped.
func endpoint(provider, repo, revision string) string {
	switch provider {
	case GitLab:
		return "/projects/" + url.PathEscape(repo) + "/statuses/" + revision
	case Bitbucket:
		workspace, slug, _ := strings.Cut(repo, "/")
		return "/repositories/" + url.PathEscape(workspace) + "/" + url.PathEscape(slug) + "/commit/" + revision + "/statuses/build"
	default:
		return "/repos/" + escapePath(repo) + "/statuses/" + revision
	}
}

// body is the JSON body of a status for the provider.
func body(provider string, s Status, webURL string) map[string]string {
	state := stateName(provider, s.State)
	switch provider {
	case GitLab:
		return map[string]string{"state": state, "name": s.Context, "description": s.Description}
	case Bitbucket:
		// Bitbucket requires a url: the repository's page is the best
		// there is.
		return map[string]string{"state": state, "key": bitbucketKey(s.Context), "name": s.Context, "description": s.Description, "url": webURL}
	default:
		return map[string]string{"state": state, "context": s.Context, "description": s.Description}
	}
}

// bitbucketKey is the context, or, when it is longer than the 40
// characters Bitbucket allows a key, a hash of it (the full context is the
// status's name).
func bitbucketKey(context string) string {
	if len(context) <= 40 {
		return context
	}
	sum := sha256.Sum256([]byte(context))
	return hex.EncodeToString(sum[:20])
}

// authHeader is the header and value carrying the token.
func authHeader(provider, username, token string) (string, string) {
	switch provider {
	case GitLab:
		return "PRIVATE-TOKEN", token
	case Gitea:
		return "Authorization", "token " + token
	case Bitbucket:
		if username != "" { // an app password
			return "Authorization", "Basic " + basic(username, token)
		}
		return "Authorization", "Bearer " + token
	default:
		return "Authorization", "Bearer " + token
	}
}

// escapePath escapes each segment of an "owner/name" path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// clusterName is what --cluster-name accepts: a DNS label of at most 32
// characters, so contexts stay short.
var clusterName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// ValidateClusterName checks a cluster name for status contexts.
func ValidateClusterName(name string) error {
	if !clusterName.MatchString(name) {
		return fmt.Errorf("cluster name %q: want lowercase letters, digits and '-', starting and ending with a letter or digit, at most 32 characters (a DNS label)", name)
	}
	return nil
}

// StatusContext names the statuses one GitSync of one cluster posts:
// seal/<cluster>/<namespace>/<name>, so several clusters (and several
// GitSyncs) report on one commit side by side.
func StatusContext(cluster, namespace, name string) string {
	return "seal/" + cluster + "/" + namespace + "/" + name
}
