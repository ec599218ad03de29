package gitserver

import (
	"fmt"

	"github.com/seal-gitops/seal/test/worktree"
)

// Repo is a bare repository on the server and a work tree that pushes to
// it (Commit, CommitAll, Revert, Checkout, Tag, Head, Dir).
type Repo struct {
	Name string
	bare string
	*worktree.Tree
}

// CreateRepo creates an empty bare repository (initial branch main) and a
// work tree for it under work.
func (s *Server) CreateRepo(name, work string) (*Repo, error) {
	bare, err := repoPath(s.root, name+".git")
	if err != nil {
		return nil, fmt.Errorf("gitserver: repository %q: %w", name, err)
	}
	if _, err := worktree.Git("", "init", "--quiet", "--bare", "--initial-branch=main", bare); err != nil {
		return nil, err
	}
	// Let pushes over HTTP through too (the server checks basic auth).
	if _, err := worktree.Git(bare, "config", "http.receivepack", "true"); err != nil {
		return nil, err
	}
	tree, err := worktree.Init(work, bare)
	if err != nil {
		return nil, err
	}
	return &Repo{Name: name, bare: bare, Tree: tree}, nil
}
