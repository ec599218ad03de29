package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// seal diff names the value keys of a Helm values file sealed with
// --release that a commit changed, added or removed, and no value.
func TestDiffHelmValuesFile(t *testing.T) {
	dir := t.TempDir()
	k := newCryptKey(t, t.TempDir(), "alice", keys.X25519)
	auditGitRepo(t, dir)
	file := filepath.Join(dir, "apps", "shop-values.yaml")
	commit := func(msg string, data []byte) {
		cryptWrite(t, file, string(data))
		auditGit(t, dir, "add", "-A")
		auditGit(t, dir, "commit", "-q", "-m", msg)
	}
	const first = "db:\n  user: app-user-1\n  password: pw-first-6d1e\nreplicas: 2\n"
	sealed, err := crypto.EncryptInput("apps/shop-values.yaml", []byte(first), crypto.InputOptions{Recipients: []string{k.recipient()}, Namespace: "prod", Name: "shop", Kind: crypto.ReleaseKind})
	if err != nil {
		t.Fatal(err)
	}
	commit("values for shop", sealed)
	d, err := crypto.Decrypt("apps/shop-values.yaml", sealed, keys.NewRing(k.id).AgeIdentities())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(strings.Replace(string(d.Plaintext), "pw-first-6d1e", "pw-second-0a4c", 1), "replicas: 2\n", "", 1) + "token: tok-new-77e1\n"
	changed, err := crypto.Reencrypt("apps/shop-values.yaml", sealed, []byte(edited), keys.NewRing(k.id).AgeIdentities())
	if err != nil {
		t.Fatal(err)
	}
	commit("new password and token, replicas dropped", changed)

	r := runSeal(t, dir, map[string]string{"SOPS_AGE_KEY_FILE": k.file}, "", "diff", "HEAD~1", "HEAD")
	if r.Code != 0 {
		t.Fatalf("seal diff: exit %d\n%s", r.Code, r.Stderr)
	}
	for _, want := range []string{"apps/shop-values.yaml", "document, sealed for HelmRelease/prod/shop", "changed       db.password", "added         token", "removed       replicas"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("seal diff does not name %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "db.user") {
		t.Errorf("seal diff names db.user, which did not change:\n%s", r.Stdout)
	}
	for _, v := range []string{"pw-first-6d1e", "pw-second-0a4c", "tok-new-77e1", "app-user-1"} {
		if strings.Contains(r.Stdout+r.Stderr, v) {
			t.Errorf("seal diff printed a value")
		}
	}
	t.Logf("seal diff:\n%s", r.Stdout)
}
