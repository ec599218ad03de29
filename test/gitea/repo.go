package gitea

import (
	"github.com/seal-gitops/seal/test/worktree"
)

// Repo is a repository on the server and a local work tree that pushes to
// it over HTTP with basic auth, the way a developer does (Commit,
// CommitAll, Push, Checkout, Head, Dir).
type Repo struct {
	Owner, Name string
	// CloneURL is the HTTP clone URL ("http://127.0.0.1:PORT/owner/name.git").
	CloneURL string

	*worktree.Tree
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }
