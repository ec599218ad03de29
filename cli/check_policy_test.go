package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

// policyConfig is a .sops.yaml whose seal section requires glass and
// forbids the fingerprint of old, followed by rules.
func policyConfig(glass, old *auditKey, rules ...auditRule) string {
	return "seal:\n  policy:\n    require:\n      - " + glass.recipient() + "\n    forbid:\n      - " +
		keys.Fingerprint(old.recipient()) + "\n" + auditSopsConfig(rules...)
}

// policyFinding is what the policy tests compare of a finding: where, what,
// and the recipient the problem names.
type policyFinding struct {
	File, Code, Problem string
	Line                int
}

func TestCheckPolicy(t *testing.T) {
	agent := newAuditKey(t, keys.Hybrid, "AGENT")
	glass := newAuditKey(t, keys.X25519, "GLASS")
	old := newAuditKey(t, keys.X25519, "OLD")
	good := policyConfig(glass, old, auditRule{`^secrets/`, []*auditKey{agent, glass}})
	tests := []struct {
		name  string
		files map[string]string
		want  []policyFinding
	}{{
		name: "every file has the break-glass key and none the forbidden one",
		files: map[string]string{".sops.yaml": good,
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, agent, glass)},
	}, {
		name: "a file without the break-glass key names the file and the missing recipient",
		files: map[string]string{".sops.yaml": good,
			"secrets/ok.yaml": auditEncrypt(t, "ok.yaml", auditPlainSecret, agent, glass),
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, agent)},
		want: []policyFinding{
			{"secrets/db.yaml", codePolicyMissing, "recipient <KEY-GLASS> is missing: seal.policy.require (.sops.yaml line 4) requires it on every encrypted file", 12},
			{"secrets/db.yaml", codeStale, "recipients differ from .sops.yaml creation_rules[0] (line 8): add <KEY-GLASS>", 12},
		},
	}, {
		name: "a file wrapped for a forbidden key, found by its fingerprint",
		files: map[string]string{".sops.yaml": good,
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, agent, glass, old)},
		want: []policyFinding{
			{"secrets/db.yaml", codePolicyForbidden, "recipient <KEY-OLD> is forbidden by seal.policy.forbid (.sops.yaml line 6)", 12},
			{"secrets/db.yaml", codeStale, "recipients differ from .sops.yaml creation_rules[0] (line 8): remove <KEY-OLD>", 12},
		},
	}, {
		name: "a rule that breaks the policy is reported on the .sops.yaml at its line",
		files: map[string]string{
			".sops.yaml": policyConfig(glass, old,
				auditRule{`^secrets/`, []*auditKey{agent, glass}},
				auditRule{`^staging/`, []*auditKey{agent}},
				auditRule{`^legacy/`, []*auditKey{glass, old}}),
		},
		want: []policyFinding{
			{".sops.yaml", codePolicyMissing, "creation_rules[1] lacks recipient <KEY-GLASS>, which seal.policy.require (.sops.yaml line 4) requires", 13},
			{".sops.yaml", codePolicyForbidden, "creation_rules[2] names recipient <KEY-OLD>, which seal.policy.forbid (.sops.yaml line 6) forbids", 17},
		},
	}, {
		name: "the policy holds for files no rule covers too",
		files: map[string]string{".sops.yaml": good,
			"other/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, agent)},
		want: []policyFinding{
			{"other/db.yaml", codePolicyMissing, "recipient <KEY-GLASS> is missing: seal.policy.require (.sops.yaml line 4) requires it on every encrypted file", 12},
			{"other/db.yaml", codeNoRule, "no creation rule in .sops.yaml covers this file", 12},
		},
	}, {
		name: "a policy typo is an invalid config, not an empty policy",
		files: map[string]string{
			".sops.yaml":      "seal:\n  policy:\n    requires: [" + glass.recipient() + "]\n" + auditSopsConfig(auditRule{`^secrets/`, []*auditKey{agent}}),
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, agent)},
		want: []policyFinding{
			{".sops.yaml", codeInvalidConfig, "invalid .sops.yaml: line 3: unknown field seal.policy.requires; use require or forbid", 1},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				auditWrite(t, filepath.Join(dir, name), content)
			}
			r := runSeal(t, dir, nil, "", "check", "-o", "json")
			auditNoLeak(t, r)
			var report checkReport
			if err := json.Unmarshal([]byte(r.Stdout), &report); err != nil {
				t.Fatalf("output is not JSON: %v\n%s%s", err, r.Stdout, r.Stderr)
			}
			var got []policyFinding
			for _, f := range report.Findings {
				got = append(got, policyFinding{f.File, f.Code, auditScrub(f.Problem, dir, agent, glass, old), f.Line})
				if f.Fix == "" {
					t.Errorf("finding %+v has no fix", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			wantCode := ExitOK
			if len(tt.want) > 0 {
				wantCode = ExitFailure
			}
			if r.Code != wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, wantCode, r.Stderr)
			}
		})
	}
}

// TestCheckPolicyStaged: the pre-commit hook's check (--staged) enforces the
// policy on what is about to be committed.
func TestCheckPolicyStaged(t *testing.T) {
	agent := newAuditKey(t, keys.X25519, "AGENT")
	glass := newAuditKey(t, keys.X25519, "GLASS")
	old := newAuditKey(t, keys.X25519, "OLD")
	dir := t.TempDir()
	auditGitRepo(t, dir)
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), policyConfig(glass, old, auditRule{`^secrets/`, []*auditKey{agent, glass}}))
	auditWrite(t, filepath.Join(dir, "secrets/db.yaml"), auditEncrypt(t, "db.yaml", auditPlainSecret, agent))
	auditGit(t, dir, "add", "secrets/db.yaml")
	r := runSeal(t, dir, nil, "", "check", "--staged")
	auditNoLeak(t, r)
	if r.Code != ExitFailure || !strings.Contains(auditScrub(r.Stdout, dir, agent, glass, old),
		"secrets/db.yaml:12: recipient <KEY-GLASS> is missing: seal.policy.require (.sops.yaml line 4) requires it on every encrypted file") {
		t.Errorf("seal check --staged: exit %d, want 1 naming the file and the missing recipient; stdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestKeysRotatePolicy: rotation refuses to bring files in line with a rule
// that breaks the policy, naming the rule and the recipient, and changes
// nothing; once the rule complies it rotates, and check is clean.
func TestKeysRotatePolicy(t *testing.T) {
	agent := newAuditKey(t, keys.X25519, "AGENT")
	glass := newAuditKey(t, keys.X25519, "GLASS")
	old := newAuditKey(t, keys.X25519, "OLD")
	dir := t.TempDir()
	config := filepath.Join(dir, ".sops.yaml")
	file := filepath.Join(dir, "secrets/db.yaml")
	auditWrite(t, file, auditEncrypt(t, "db.yaml", auditPlainSecret, agent, old))
	withAgent := map[string]string{keys.EnvKeyFile: agent.keyFile(t, t.TempDir())}

	for _, tt := range []struct {
		name     string
		rule     []*auditKey
		wantErr  string
		wantHint string
	}{
		{"rule lacks the required key", []*auditKey{agent},
			"seal: error: secrets/db.yaml: .sops.yaml creation_rules[0] (line 8) lacks recipient <KEY-GLASS>, which seal.policy.require (.sops.yaml line 4) requires: rotating would leave the file without it\n",
			"seal: hint: add the recipient to the rule, then rotate again\n"},
		{"rule names the forbidden key", []*auditKey{agent, glass, old},
			"seal: error: secrets/db.yaml: .sops.yaml creation_rules[0] (line 8) names recipient <KEY-OLD>, which seal.policy.forbid (.sops.yaml line 6) forbids: rotating would wrap the file for it\n",
			"seal: hint: remove the recipient from the rule, then rotate again\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			auditWrite(t, config, policyConfig(glass, old, auditRule{`^secrets/`, tt.rule}))
			before := auditRead(t, file)
			r := runSeal(t, dir, withAgent, "", "keys", "rotate")
			stderr := auditScrub(r.Stderr, dir, agent, glass, old)
			if r.Code != ExitFailure || !strings.HasPrefix(stderr, tt.wantErr+tt.wantHint) {
				t.Errorf("exit %d, want 1; stderr (want it to start with %q):\n%s", r.Code, tt.wantErr+tt.wantHint, stderr)
			}
			if auditRead(t, file) != before {
				t.Error("a refused rotation changed the file")
			}
		})
	}

	auditWrite(t, config, policyConfig(glass, old, auditRule{`^secrets/`, []*auditKey{agent, glass}}))
	r := runSeal(t, dir, withAgent, "", "keys", "rotate", "--new-data-key")
	if r.Code != ExitOK {
		t.Fatalf("rotation with a compliant rule: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if !auditDecrypts(t, file, auditSealedSecret, glass) || auditDecrypts(t, file, auditSealedSecret, old) {
		t.Error("after rotation the break-glass key should open the file and the forbidden one not")
	}
	if r := runSeal(t, dir, nil, "", "check"); r.Code != ExitOK {
		t.Errorf("check after rotation: exit %d\n%s", r.Code, r.Stdout)
	}
}
