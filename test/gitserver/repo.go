package gitserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Repo is a bare repository on the server and a work tree that pushes to it.
type Repo struct {
	Name string
	bare string
	work string
}

// CreateRepo creates an empty bare repository (initial branch main) and a
// work tree for it under work.
func (s *Server) CreateRepo(name, work string) (*Repo, error) {
	bare, err := repoPath(s.root, name+".git")
	if err != nil {
		return nil, fmt.Errorf("gitserver: repository %q: %w", name, err)
	}
	r := &Repo{Name: name, bare: bare, work: work}
	if _, err := gitIn("", "init", "--quiet", "--bare", "--initial-branch=main", bare); err != nil {
		return nil, err
	}
	// Let pushes over HTTP through too (the server checks basic auth).
	if _, err := gitIn(bare, "config", "http.receivepack", "true"); err != nil {
		return nil, err
	}
	if _, err := gitIn("", "init", "--quiet", "--initial-branch=main", work); err != nil {
		return nil, err
	}
	if _, err := gitIn(work, "remote", "add", "origin", bare); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir is the repository's work tree.
func (r *Repo) Dir() string { return r.work }

// Commit writes files into the work tree (a nil value deletes the file),
// commits everything with message, pushes the current branch and returns
// the new commit's SHA.
func (r *Repo) Commit(message string, files map[string][]byte) (string, error) {
	for name, content := range files {
		path := filepath.Join(r.work, filepath.FromSlash(name))
		if content == nil {
			if err := os.RemoveAll(path); err != nil {
				return "", fmt.Errorf("gitserver: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("gitserver: %w", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return "", fmt.Errorf("gitserver: %w", err)
		}
	}
	return r.CommitAll(message)
}

// CommitAll commits whatever the work tree holds now (files written, links
// made, files removed by the caller), pushes and returns the commit's SHA.
func (r *Repo) CommitAll(message string) (string, error) {
	if _, err := gitIn(r.work, "add", "--all"); err != nil {
		return "", err
	}
	if _, err := gitIn(r.work, "commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	return r.push()
}

// Revert reverts commit, pushes, and returns the new commit's SHA.
func (r *Repo) Revert(commit string) (string, error) {
	if _, err := gitIn(r.work, "revert", "--no-edit", commit); err != nil {
		return "", err
	}
	return r.push()
}

// Checkout switches the work tree to branch, creating it from the current
// commit when it does not exist.
func (r *Repo) Checkout(branch string) error {
	if _, err := gitIn(r.work, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err == nil {
		_, err := gitIn(r.work, "checkout", "--quiet", branch)
		return err
	}
	_, err := gitIn(r.work, "checkout", "--quiet", "-b", branch)
	return err
}

// Tag tags the current commit and pushes the tag.
func (r *Repo) Tag(name string) error {
	if _, err := gitIn(r.work, "tag", name); err != nil {
		return err
	}
	_, err := gitIn(r.work, "push", "--quiet", "origin", "refs/tags/"+name)
	return err
}

// Head is the SHA of the work tree's current commit.
func (r *Repo) Head() (string, error) {
	out, err := gitIn(r.work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

func (r *Repo) push() (string, error) {
	if _, err := gitIn(r.work, "push", "--quiet", "--force", "origin", "HEAD"); err != nil {
		return "", err
	}
	return r.Head()
}

// gitIn runs git in dir with a fixed identity and no user configuration, so
// results do not depend on the machine.
func gitIn(dir string, args ...string) (string, error) {
	base := []string{"-c", "user.name=Seal Test", "-c", "user.email=test@seal.dev", "-c", "commit.gpgsign=false"}
	cmd := exec.Command("git", append(base, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gitserver: git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
