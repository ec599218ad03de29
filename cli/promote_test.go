package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

// TestPromoteRefusals: what promote refuses, naming the file and saying
// what to do, and writing nothing for the refused files.
func TestPromoteRefusals(t *testing.T) {
	team := newAuditKey(t, keys.X25519, "TEAM")
	prod := newAuditKey(t, keys.X25519, "PROD")
	glass := newAuditKey(t, keys.X25519, "GLASS")
	old := newAuditKey(t, keys.X25519, "OLD")
	withTeam := map[string]string{keys.EnvKeyFile: team.keyFile(t, t.TempDir())}
	tests := []struct {
		name       string
		config     string
		args       []string
		code       int
		wantStderr string
		notWritten string
	}{{
		name:       "overlapping directories",
		config:     auditSopsConfig(auditRule{`^prod/`, []*auditKey{prod, team}}),
		args:       []string{"staging", "staging/prod"},
		code:       ExitUsage,
		wantStderr: "seal: error: SRC staging and DST staging/prod overlap",
	}, {
		name:       "no rule for the target",
		config:     auditSopsConfig(auditRule{`^elsewhere/`, []*auditKey{prod}}),
		args:       []string{"staging", "prod"},
		code:       ExitFailure,
		wantStderr: "seal: error: prod/db.yaml: no creation rule in .sops.yaml covers this file",
		notWritten: "prod/db.yaml",
	}, {
		name: "the target rule breaks the key policy",
		config: "seal:\n  policy:\n    require: [" + glass.recipient() + "]\n    forbid: [" + old.recipient() + "]\n" +
			auditSopsConfig(auditRule{`^prod/`, []*auditKey{prod, team}}),
		args:       []string{"staging", "prod"},
		code:       ExitFailure,
		wantStderr: "seal: error: prod/db.yaml: .sops.yaml creation_rules[0] (line 6) lacks recipient <KEY-GLASS>",
		notWritten: "prod/db.yaml",
	}, {
		name:       "SRC missing",
		config:     auditSopsConfig(auditRule{`^prod/`, []*auditKey{prod, team}}),
		args:       []string{"nowhere", "prod"},
		code:       ExitFailure,
		wantStderr: "seal: error: SRC nowhere: no such file or directory",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			auditWrite(t, filepath.Join(dir, ".sops.yaml"), tt.config)
			auditWrite(t, filepath.Join(dir, "staging/db.yaml"), auditEncrypt(t, "db.yaml", auditPlainSecret, team))
			r := runSeal(t, dir, withTeam, "", append([]string{"promote"}, tt.args...)...)
			auditNoLeak(t, r)
			if r.Code != tt.code || !strings.HasPrefix(auditScrub(r.Stderr, dir, team, prod, glass, old), tt.wantStderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and a stderr starting with %q", r.Code, auditScrub(r.Stderr, dir, team, prod, glass, old), tt.code, tt.wantStderr)
			}
			if tt.notWritten != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.notWritten)); err == nil {
					t.Errorf("%s was written", tt.notWritten)
				}
			}
		})
	}
}

// TestPromoteOldIdentityShorthand: -i still names the identity that opens
// the source files, with a warning that it will mean --in-place.
func TestPromoteOldIdentityShorthand(t *testing.T) {
	team := newAuditKey(t, keys.X25519, "TEAM")
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^prod/`, []*auditKey{team}}))
	auditWrite(t, filepath.Join(dir, "staging/db.yaml"), auditEncrypt(t, "db.yaml", auditPlainSecret, team))
	r := runSeal(t, dir, map[string]string{"HOME": t.TempDir()}, "", "promote", "-i", team.keyFile(t, t.TempDir()), "staging", "prod")
	want := "seal: warning: -i FILE is deprecated: use --identity FILE (-i will mean --in-place, as in sops and seal encrypt and decrypt)\n"
	if r.Code != ExitOK || r.Stderr != want {
		t.Fatalf("exit %d, stderr %q, want 0 and %q", r.Code, r.Stderr, want)
	}
	if !auditDecrypts(t, filepath.Join(dir, "prod/db.yaml"), auditSealedSecret, team) {
		t.Error("prod/db.yaml does not open with the key")
	}
}
