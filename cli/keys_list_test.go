package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

func TestKeysList(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.Hybrid, "B")
	c := newAuditKey(t, keys.X25519, "C")
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(
		auditRule{`^secrets/`, []*auditKey{a, b}}, auditRule{`^legacy/`, []*auditKey{a}}))
	auditWrite(t, filepath.Join(dir, "secrets/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, a, b))
	auditWrite(t, filepath.Join(dir, "secrets/stale.yaml"), auditEncrypt(t, "stale.yaml", auditPlainSecret, a, c))
	auditWrite(t, filepath.Join(dir, "legacy/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, a))
	auditWrite(t, filepath.Join(dir, "apps/norule.yaml"), auditEncrypt(t, "norule.yaml", auditPlainSecret, c))
	auditWrite(t, filepath.Join(dir, "apps/plain.yaml"), auditPlainSecret)
	auditWrite(t, filepath.Join(dir, "apps/settings.yaml"), auditConfigMap)

	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"keys-list.txt", []string{"keys", "list"}},
		{"keys-list.json", []string{"keys", "list", "-o", "json"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			r := runSeal(t, dir, nil, "", tt.args...)
			auditNoLeak(t, r)
			if r.Code != ExitOK || r.Stderr != "" {
				t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
			}
			golden(t, tt.golden, auditScrubTable(r.Stdout, dir, a, b, c))
		})
	}

	// The JSON form holds recipients whole, and inverts files correctly.
	r := runSeal(t, dir, nil, "", "keys", "list", "-o", "json", "secrets")
	var report keysReport
	if err := json.Unmarshal([]byte(r.Stdout), &report); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, lr := range report.Recipients {
		got[lr.Recipient] = lr.Files
	}
	want := map[string][]string{
		a.recipient(): {"secrets/ok.yaml", "secrets/stale.yaml"},
		b.recipient(): {"secrets/ok.yaml"},
		c.recipient(): {"secrets/stale.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files by recipient (-want +got):\n%s", diff)
	}
}

func TestKeysListProblems(t *testing.T) {
	dir := t.TempDir()
	r := runSeal(t, dir, nil, "", "keys", "list")
	if diff := cmp.Diff(cliRun{Stdout: "no encrypted files found\n"}, r); diff != "" {
		t.Errorf("empty (-want +got):\n%s", diff)
	}
	r = runSeal(t, dir, nil, "", "keys", "list", "-o", "table")
	if r.Code != ExitUsage {
		t.Errorf("-o table: exit %d, want %d", r.Code, ExitUsage)
	}
	auditWrite(t, filepath.Join(dir, "broken.yaml"), "kind: Secret\nsops:\n  age: 3\n  mac: x\n")
	r = runSeal(t, dir, nil, "", "keys", "list")
	if r.Code != ExitFailure || !strings.Contains(r.Stdout, "broken.yaml  -          unreadable: ") ||
		r.Stderr != "seal: error: 1 encrypted file could not be read: broken.yaml\n" {
		t.Errorf("got %+v", r)
	}
}
