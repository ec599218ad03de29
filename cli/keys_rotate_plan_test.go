package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

// TestKeysRotateDryRun prints the plan, needs no key and changes nothing.
func TestKeysRotateDryRun(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.Hybrid, "B")
	c := newAuditKey(t, keys.X25519, "C")
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(
		auditRule{`^secrets/`, []*auditKey{a, b}}, auditRule{`^legacy/`, []*auditKey{a}}))
	auditWrite(t, filepath.Join(dir, "secrets/stale.yaml"), auditEncrypt(t, "stale.yaml", auditPlainSecret, a, c))
	auditWrite(t, filepath.Join(dir, "legacy/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, a))
	auditWrite(t, filepath.Join(dir, "apps/norule.yaml"), auditEncrypt(t, "norule.yaml", auditPlainSecret, a))
	auditWrite(t, filepath.Join(dir, "apps/plain.yaml"), auditPlainSecret) // not encrypted: not rotate's business
	paths := []string{"secrets/stale.yaml", "legacy/ok.yaml", "apps/norule.yaml", "apps/plain.yaml"}
	for i := range paths {
		paths[i] = filepath.Join(dir, paths[i])
	}
	before := readAll(t, paths)

	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"keys-rotate-dry-run.txt", []string{"keys", "rotate", "--dry-run"}},
		{"keys-rotate-dry-run-new-data-key.txt", []string{"keys", "rotate", "--dry-run", "--new-data-key", "secrets", "legacy"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			r := scrubRun(runSeal(t, dir, nil, "", tt.args...), dir, a, b, c)
			golden(t, tt.golden, fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.Code, r.Stdout, r.Stderr))
		})
	}
	if diff := cmp.Diff(before, readAll(t, paths)); diff != "" {
		t.Errorf("a dry run changed files")
	}
}

func TestKeysRotateNoConfig(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	for _, tt := range []struct {
		name, config string
		want         []string
	}{
		{"no .sops.yaml", "", []string{"seal: error: <DIR>: no .sops.yaml found in it or any parent directory",
			"seal: hint: rotation re-wraps files for the recipients of their creation rules"}},
		{"invalid .sops.yaml", "creation_rules: {", []string{"seal: error: <DIR>/.sops.yaml: invalid .sops.yaml",
			"seal: hint: fix .sops.yaml so that sops can read it\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.config != "" {
				auditWrite(t, filepath.Join(dir, ".sops.yaml"), tt.config)
			}
			auditWrite(t, filepath.Join(dir, "secrets/a.yaml"), auditEncrypt(t, "a.yaml", auditPlainSecret, a))
			r := scrubRun(runSeal(t, dir, nil, "", "keys", "rotate", "--dry-run"), dir)
			if r.Code != ExitFailure || r.Stdout != "" {
				t.Errorf("exit %d, stdout %q", r.Code, r.Stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
}
