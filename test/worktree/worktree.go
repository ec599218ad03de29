package worktree

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tree is a work tree whose origin is a repository on a test git server.
type Tree struct {
	dir string
	// pushConfig are "-c" settings for commands that talk to origin only
	// (credentials in a header): never in the work tree's configuration,
	// never shown in an error.
	pushConfig []string
}

// Init makes dir a work tree on branch main whose origin is url.
// pushConfig are git settings ("http.extraHeader=...") given to pushes
// only.
func Init(dir, url string, pushConfig ...string) (*Tree, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("worktree: %w", err)
	}
	t := &Tree{dir: dir}
	for _, c := range pushConfig {
		t.pushConfig = append(t.pushConfig, "-c", c)
	}
	if _, err := Git(dir, "init", "--quiet", "--initial-branch=main"); err != nil {
		return nil, err
	}
	if _, err := Git(dir, "remote", "add", "origin", url); err != nil {
		return nil, err
	}
	return t, nil
}

// Dir is the work tree's directory.
func (t *Tree) Dir() string { return t.dir }

// Commit writes files into the work tree (a nil value deletes the file),
// commits everything with message, pushes the current branch and returns
// the new commit's SHA.
func (t *Tree) Commit(message string, files map[string][]byte) (string, error) {
	for name, content := range files {
		path := filepath.Join(t.dir, filepath.FromSlash(name))
		if content == nil {
			if err := os.RemoveAll(path); err != nil {
				return "", fmt.Errorf("worktree: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("worktree: %w", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return "", fmt.Errorf("worktree: %w", err)
		}
	}
	return t.CommitAll(message)
}

// CommitAll commits whatever the work tree holds now (files written, links
// made, files removed by the caller), pushes and returns the commit's SHA.
func (t *Tree) CommitAll(message string) (string, error) {
	if _, err := Git(t.dir, "add", "--all"); err != nil {
		return "", err
	}
	if _, err := Git(t.dir, "commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	return t.Push()
}

// Revert reverts commit, pushes, and returns the new commit's SHA.
func (t *Tree) Revert(commit string) (string, error) {
	if _, err := Git(t.dir, "revert", "--no-edit", commit); err != nil {
		return "", err
	}
	return t.Push()
}

// Push force-pushes the current branch and returns its head SHA.
func (t *Tree) Push() (string, error) {
	if _, err := t.remote("push", "--quiet", "--force", "origin", "HEAD"); err != nil {
		return "", err
	}
	return t.Head()
}

// Checkout switches the work tree to branch, creating it from the current
// commit when it does not exist.
func (t *Tree) Checkout(branch string) error {
	if _, err := Git(t.dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err == nil {
		_, err := Git(t.dir, "checkout", "--quiet", branch)
		return err
	}
	_, err := Git(t.dir, "checkout", "--quiet", "-b", branch)
	return err
}

// Tag tags the current commit and pushes the tag.
func (t *Tree) Tag(name string) error {
	if _, err := Git(t.dir, "tag", name); err != nil {
		return err
	}
	_, err := t.remote("push", "--quiet", "origin", "refs/tags/"+name)
	return err
}

// Head is the SHA of the work tree's current commit.
func (t *Tree) Head() (string, error) {
	out, err := Git(t.dir, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// remote runs a git command that talks to origin, with pushConfig, which
// its error does not show.
func (t *Tree) remote(args ...string) (string, error) {
	out, err := run(t.dir, append(append([]string{}, t.pushConfig...), args...))
	if err != nil {
		return out, fmt.Errorf("worktree: git %s in %s: %w", strings.Join(args, " "), t.dir, err)
	}
	return out, nil
}

// Git runs git in dir with a fixed identity and no user or system
// configuration, so results do not depend on the machine.
func Git(dir string, args ...string) (string, error) {
	out, err := run(dir, args)
	if err != nil {
		return out, fmt.Errorf("worktree: git %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

func run(dir string, args []string) (string, error) {
	base := []string{"-c", "user.name=Seal Test", "-c", "user.email=test@seal.dev", "-c", "commit.gpgsign=false"}
	cmd := exec.Command("git", append(base, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
