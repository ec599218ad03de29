package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHookInstall(t *testing.T) {
	binDir := t.TempDir()
	auditWrite(t, filepath.Join(binDir, "seal"), "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(binDir, "seal"), 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := map[string]string{"PATH": binDir}
	const installed = "installed the pre-commit hook .git/hooks/pre-commit: each commit now runs `seal check --staged`\n"

	t.Run("fresh, again, updated", func(t *testing.T) {
		dir := t.TempDir()
		auditGitRepo(t, dir)
		hook := filepath.Join(dir, ".git/hooks/pre-commit")
		if r := runSeal(t, dir, onPath, "", "hook", "install"); !cmp.Equal(cliRun{Stdout: installed}, r) {
			t.Errorf("first install: %+v", r)
		}
		assertSealHook(t, hook)
		r := runSeal(t, dir, onPath, "", "hook", "install")
		if diff := cmp.Diff(cliRun{Stdout: "the pre-commit hook .git/hooks/pre-commit is installed and up to date\n"}, r); diff != "" {
			t.Errorf("second install (-want +got):\n%s", diff)
		}
		// An older hook of ours, not executable, is replaced without --force.
		auditWrite(t, hook, "#!/bin/sh\n"+hookMarker+" v0\nexec seal check\n")
		r = runSeal(t, dir, onPath, "", "hook", "install")
		if diff := cmp.Diff(cliRun{Stdout: "updated the pre-commit hook .git/hooks/pre-commit: each commit now runs `seal check --staged`\n"}, r); diff != "" {
			t.Errorf("update (-want +got):\n%s", diff)
		}
		assertSealHook(t, hook)
	})

	t.Run("a foreign hook needs --force and is kept", func(t *testing.T) {
		dir := t.TempDir()
		auditGitRepo(t, dir)
		hook := filepath.Join(dir, ".git/hooks/pre-commit")
		const foreign = "#!/bin/sh\nexec lint-staged\n"
		auditWrite(t, hook, foreign)
		r := runSeal(t, dir, onPath, "", "hook", "install")
		want := cliRun{Code: ExitFailure, Stderr: "seal: error: .git/hooks/pre-commit: a pre-commit hook that seal did not write is already there; not replacing it\n" +
			"seal: hint: pass --force to replace it (it is kept as .git/hooks/pre-commit.seal-backup), or add `seal check --staged` to it yourself\n"}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("without --force (-want +got):\n%s", diff)
		}
		if got := auditRead(t, hook); got != foreign {
			t.Errorf("the foreign hook was changed")
		}
		r = runSeal(t, dir, onPath, "", "hook", "install", "--force")
		want = cliRun{Stdout: installed, Stderr: "seal: kept the previous hook as .git/hooks/pre-commit.seal-backup\n"}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("with --force (-want +got):\n%s", diff)
		}
		assertSealHook(t, hook)
		if got := auditRead(t, hook+".seal-backup"); got != foreign {
			t.Errorf("backup holds %q, want the foreign hook", got)
		}
	})

	t.Run("core.hooksPath, from a subdirectory, seal not on PATH", func(t *testing.T) {
		dir := t.TempDir()
		auditGitRepo(t, dir)
		auditGit(t, dir, "config", "core.hooksPath", "tools/hooks")
		sub := filepath.Join(dir, "clusters/prod")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		r := runSeal(t, sub, map[string]string{"PATH": t.TempDir()}, "", "hook", "install")
		want := cliRun{
			Stdout: "installed the pre-commit hook <DIR>/tools/hooks/pre-commit: each commit now runs `seal check --staged`\n",
			Stderr: "seal: warning: seal is not on PATH, and the hook needs it there: commits will be refused until it is\n" +
				"seal: hint: go install github.com/seal-gitops/seal/cmd/seal@latest, and put $(go env GOPATH)/bin on PATH\n",
		}
		r.Stdout = auditScrub(r.Stdout, dir)
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		assertSealHook(t, filepath.Join(dir, "tools/hooks/pre-commit"))
		if _, err := os.Stat(filepath.Join(dir, ".git/hooks/pre-commit")); err == nil {
			t.Errorf("the hook went to .git/hooks despite core.hooksPath")
		}
	})

	t.Run("outside a repository", func(t *testing.T) {
		r := runSeal(t, t.TempDir(), onPath, "", "hook", "install")
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, "not inside a git repository") ||
			!strings.Contains(r.Stderr, "seal: hint: run seal hook install inside the repository that holds your manifests") {
			t.Errorf("got %+v", r)
		}
	})
}

// assertSealHook checks that path holds our hook script, executable.
func assertSealHook(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable (%v)", path, fi.Mode())
	}
	if got := auditRead(t, path); got != hookScript {
		t.Errorf("%s does not hold the hook script:\n%s", path, got)
	}
}

// TestCommandGroups: seal keys and seal hook only group subcommands; an
// unknown one is a usage error, not a help page with exit status 0.
func TestCommandGroups(t *testing.T) {
	for _, args := range [][]string{{"keys", "bogus"}, {"hook", "uninstall"}} {
		r := runSeal(t, t.TempDir(), nil, "", args...)
		want := cliRun{Code: ExitUsage, Stderr: "seal: error: unknown command \"" + args[1] + "\" for \"seal " + args[0] +
			"\"; see seal " + args[0] + " --help\n"}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("%v (-want +got):\n%s", args, diff)
		}
	}
	if r := runSeal(t, t.TempDir(), nil, "", "keys"); r.Code != ExitOK || !strings.Contains(r.Stdout, "Available Commands:") {
		t.Errorf("seal keys: %+v", r)
	}
}
