package gitea

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Repo is a repository on the server and a local work tree that pushes to
// it over HTTP with basic auth, the way a developer does.
type Repo struct {
	Owner, Name string
	// CloneURL is the HTTP clone URL ("http://127.0.0.1:PORT/owner/name.git").
	CloneURL string

	work           string
	user, password string
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Dir is the work tree.
func (r *Repo) Dir() string { return r.work }

func (r *Repo) init() error {
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	if _, err := r.git("init", "--quiet", "--initial-branch=main"); err != nil {
		return err
	}
	_, err := r.git("remote", "add", "origin", r.CloneURL)
	return err
}

// Commit writes files into the work tree (a nil value deletes the file),
// commits everything with message, pushes the current branch and returns
// the new commit's SHA.
func (r *Repo) Commit(message string, files map[string][]byte) (string, error) {
	for name, content := range files {
		path := filepath.Join(r.work, filepath.FromSlash(name))
		if content == nil {
			if err := os.RemoveAll(path); err != nil {
				return "", fmt.Errorf("gitea: %w", err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("gitea: %w", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return "", fmt.Errorf("gitea: %w", err)
		}
	}
	return r.CommitAll(message)
}

// CommitAll commits whatever the work tree holds now, pushes and returns
// the commit's SHA.
func (r *Repo) CommitAll(message string) (string, error) {
	if _, err := r.git("add", "--all"); err != nil {
		return "", err
	}
	if _, err := r.git("commit", "--quiet", "--allow-empty", "-m", message); err != nil {
		return "", err
	}
	return r.Push()
}

// Push force-pushes the current branch and returns its head SHA.
func (r *Repo) Push() (string, error) {
	// The credentials go in a header for this command only, never into
	// the work tree's configuration.
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(r.user+":"+r.password))
	if _, err := r.git("-c", "http.extraHeader="+auth, "push", "--quiet", "--force", "origin", "HEAD"); err != nil {
		return "", err
	}
	return r.Head()
}

// Checkout switches the work tree to branch, creating it from the current
// commit when it does not exist.
func (r *Repo) Checkout(branch string) error {
	if _, err := r.git("rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err == nil {
		_, err := r.git("checkout", "--quiet", branch)
		return err
	}
	_, err := r.git("checkout", "--quiet", "-b", branch)
	return err
}

// Head is the SHA of the work tree's current commit.
func (r *Repo) Head() (string, error) {
	out, err := r.git("rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// git runs git in the work tree with a fixed identity and no user or
// system configuration. Errors never show the arguments after a "-c"
// (they may hold credentials).
func (r *Repo) git(args ...string) (string, error) {
	base := []string{"-c", "user.name=Seal Test", "-c", "user.email=test@seal.dev", "-c", "commit.gpgsign=false"}
	cmd := exec.Command("git", append(base, args...)...)
	cmd.Dir = r.work
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		shown := args
		if len(args) > 2 && args[0] == "-c" {
			shown = args[2:]
		}
		return string(out), fmt.Errorf("gitea: git %s in %s: %w: %s", strings.Join(shown, " "), r.work, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
