package source_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
)

// gitCLI runs git in dir with a fixed identity.
func gitCLI(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Seal Test", "-c", "user.email=test@seal.dev"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestFetchResolvesRefs(t *testing.T) {
	x := newFixture(t)
	first := x.commit(t, "first", map[string][]byte{"v.yaml": []byte("v: 1\n")})
	if err := x.repo.Tag("v1"); err != nil {
		t.Fatal(err)
	}
	gitCLI(t, x.repo.Dir(), "tag", "-a", "v1-annotated", "-m", "release 1")
	gitCLI(t, x.repo.Dir(), "push", "--quiet", "origin", "refs/tags/v1-annotated")
	second := x.commit(t, "second", map[string][]byte{"v.yaml": []byte("v: 2\n")})
	if err := x.repo.Checkout("staging"); err != nil {
		t.Fatal(err)
	}
	staging := x.commit(t, "staging", map[string][]byte{"v.yaml": []byte("v: staging\n")})

	tests := []struct {
		name     string
		ref      source.Ref
		wantSHA  string
		wantFile string
	}{
		{"default branch", source.Ref{}, second, "v: 2\n"},
		{"branch", source.Ref{Branch: "staging"}, staging, "v: staging\n"},
		{"lightweight tag", source.Ref{Tag: "v1"}, first, "v: 1\n"},
		{"annotated tag", source.Ref{Tag: "v1-annotated"}, first, "v: 1\n"},
		{"older commit on main", source.Ref{Commit: first}, first, "v: 1\n"},
		{"commit only on another branch", source.Ref{Commit: staging}, staging, "v: staging\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A fresh cache for each, so that nothing is found by accident.
			f := source.NewFetcher(t.TempDir(), source.Options{})
			rev, err := f.Fetch(ctxTimeout(t, time.Minute), "ns/name", x.srv.HTTPURL("env"), tt.ref, x.basic)
			if err != nil {
				t.Fatal(err)
			}
			if rev.SHA != tt.wantSHA {
				t.Errorf("SHA = %s, want %s", rev.SHA, tt.wantSHA)
			}
			if diff := cmp.Diff(map[string]string{"v.yaml": tt.wantFile}, readAll(t, rev.FS)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchRefErrors(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", map[string][]byte{"a.yaml": []byte("a: 1\n")})
	url := x.srv.HTTPURL("env")
	tests := []struct {
		name      string
		ref       source.Ref
		want      error
		fragments []string
	}{
		{"missing branch", source.Ref{Branch: "x"}, source.ErrRefNotFound, []string{`branch "x" not found in ` + url}},
		{"missing tag", source.Ref{Tag: "v9"}, source.ErrRefNotFound, []string{`tag "v9" not found in ` + url}},
		{"missing commit", source.Ref{Commit: "0123456789abcdef0123456789abcdef01234567"}, source.ErrRefNotFound,
			[]string{`commit "0123456789abcdef0123456789abcdef01234567" not found in ` + url}},
		{"two refs", source.Ref{Branch: "main", Tag: "v1"}, source.ErrInvalidRef, []string{"at most one"}},
		{"short commit", source.Ref{Commit: "0123abc"}, source.ErrInvalidRef, []string{"full 40-character"}},
		{"refspec in a branch name", source.Ref{Branch: "main:refs/heads/evil"}, source.ErrInvalidRef, []string{"not a valid Git ref name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := x.f.Fetch(ctxTimeout(t, time.Minute), "errors", url, tt.ref, x.basic)
			checkErr(t, err, tt.want, tt.fragments)
		})
	}
}

func TestCachedCommitNeedsNoServer(t *testing.T) {
	x := newFixture(t)
	sha := x.commit(t, "first", map[string][]byte{"a.yaml": []byte("a: 1\n")})
	if _, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic); err != nil {
		t.Fatal(err)
	}
	x.srv.Close()
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{Commit: sha}, x.basic)
	if err != nil {
		t.Fatalf("fetching a cached commit with the server down: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"a.yaml": "a: 1\n"}, readAll(t, rev.FS)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if _, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic); err == nil {
		t.Error("fetching a branch with the server down succeeded; a branch must be fetched every time")
	}
}
