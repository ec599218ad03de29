package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckStaged checks what git has staged, not the work tree: a file
// fixed in the work tree after a plaintext version was staged is caught.
func TestCheckStaged(t *testing.T) {
	k := newCheckKeys(t)
	dir := t.TempDir()
	auditGitRepo(t, dir)
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k.a}}))
	auditWrite(t, filepath.Join(dir, "secrets/committed.yaml"), auditPlainSecret) // committed before the hook: not staged now
	auditGit(t, dir, "add", ".")
	auditGit(t, dir, "commit", "-q", "-m", "init")

	db := filepath.Join(dir, "secrets/db.yaml")
	auditWrite(t, db, auditPlainSecret)
	auditWrite(t, filepath.Join(dir, "app/settings.yaml"), auditConfigMap)
	auditGit(t, dir, "add", "secrets/db.yaml", "app/settings.yaml")
	auditWrite(t, db, auditEncrypt(t, "db.yaml", auditPlainSecret, k.a)) // fixed in the work tree only
	auditWrite(t, filepath.Join(dir, "secrets/unstaged.yaml"), auditPlainSecret)

	tests := []struct {
		name string
		wd   string
		args []string
		want cliRun
	}{{
		name: "the index holds a plaintext Secret",
		wd:   dir,
		args: []string{"check", "--staged"},
		want: cliRun{Code: ExitFailure, Stdout: "secrets/db.yaml:8: Secret value stringData.password is in plaintext — encrypt the file with `seal encrypt -i secrets/db.yaml`\n" +
			"checked 2 files: 1 problem in 1 file\n"},
	}, {
		name: "from a subdirectory, names relative to it",
		wd:   filepath.Join(dir, "secrets"),
		args: []string{"check", "--staged", "."},
		want: cliRun{Code: ExitFailure, Stdout: "db.yaml:8: Secret value stringData.password is in plaintext — encrypt the file with `seal encrypt -i db.yaml`\n" +
			"checked 1 file: 1 problem in 1 file\n"},
	}, {
		name: "limited to a path with nothing wrong staged",
		wd:   dir,
		args: []string{"check", "--staged", "app"},
		want: cliRun{Stdout: "checked 1 file: no problems\n"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, tt.wd, nil, "", tt.args...)
			auditNoLeak(t, r)
			if diff := cmp.Diff(tt.want, r); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// The work tree, checked as it is, has other problems.
	r := runSeal(t, dir, nil, "", "check", "secrets")
	if r.Code != ExitFailure || strings.Contains(r.Stdout, "secrets/db.yaml") ||
		!strings.Contains(r.Stdout, "secrets/unstaged.yaml:8:") || !strings.Contains(r.Stdout, "secrets/committed.yaml:8:") {
		t.Errorf("work tree check: %+v", r)
	}

	// Once the fixed file is staged, the commit is clean.
	auditGit(t, dir, "add", "secrets/db.yaml")
	r = runSeal(t, dir, nil, "", "check", "--staged")
	if diff := cmp.Diff(cliRun{Stdout: "checked 2 files: no problems\n"}, r); diff != "" {
		t.Errorf("after staging the fix (-want +got):\n%s", diff)
	}
}

func TestCheckStagedOutsideGit(t *testing.T) {
	dir := t.TempDir()
	r := runSeal(t, dir, nil, "", "check", "--staged")
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, "not inside a git work tree") || !strings.Contains(r.Stderr, "seal: hint: run it inside a git repository") {
		t.Errorf("got %+v", r)
	}
}
