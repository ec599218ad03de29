package worktree_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/test/worktree"
)

func TestCommitPushesAndReturnsTheHead(t *testing.T) {
	dir := t.TempDir()
	bare := filepath.Join(dir, "origin.git")
	if _, err := worktree.Git("", "init", "--quiet", "--bare", "--initial-branch=main", bare); err != nil {
		t.Fatal(err)
	}
	tree, err := worktree.Init(filepath.Join(dir, "work"), bare)
	if err != nil {
		t.Fatal(err)
	}
	sha, err := tree.Commit("add", map[string][]byte{"a/b.yaml": []byte("x: 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := worktree.Git(bare, "rev-parse", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(remote) != sha {
		t.Errorf("origin's main = %s, want the commit %s", strings.TrimSpace(remote), sha)
	}
	next, err := tree.Commit("remove", map[string][]byte{"a/b.yaml": nil})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := worktree.Git(bare, "ls-tree", "-r", "--name-only", next); strings.Contains(out, "b.yaml") {
		t.Errorf("a/b.yaml is still in %s: %s", next, out)
	}
}

func TestAFailedPushDoesNotShowItsCredentials(t *testing.T) {
	dir := t.TempDir()
	const secret = "c2VhbDpzM2NyM3Q="
	tree, err := worktree.Init(filepath.Join(dir, "work"), filepath.Join(dir, "missing.git"), "http.extraHeader=Authorization: Basic "+secret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tree.Commit("add", map[string][]byte{"f": []byte("x")})
	if err == nil {
		t.Fatal("pushing to a missing origin succeeded")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the push error shows the credentials: %v", err)
	}
	if !strings.Contains(err.Error(), "git push") {
		t.Errorf("the push error does not say what failed: %v", err)
	}
}
