package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

const widenedRelease = `apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: shop
  namespace: prod
spec:
  chart: {path: charts/app, version: 1.0.0}
  sealedValues:
    allowKinds: [ConfigMap]
---
apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: plain
  namespace: prod
spec:
  chart: {path: charts/app, version: 1.0.0}
`

// seal check shows a HelmRelease's widening as a notice that does not
// fail the check; a release without one shows nothing.
func TestCheckShowsReleaseWidenings(t *testing.T) {
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, "apps/shop.yaml"), widenedRelease)
	r := runSeal(t, dir, nil, "", "check")
	want := cliRun{Stdout: "apps/shop.yaml:1: notice: HelmRelease prod/shop lets its sealed values land in ConfigMap data, not only in Secrets (spec.sealedValues.allowKinds)" +
		" — a notice, not a problem: check that the chart puts only what may be read there; remove allowKinds to keep the values in Secrets\n" +
		"checked 1 file: no problems, 1 notice\n"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r = runSeal(t, dir, nil, "", "check", "-o", "json")
	if r.Code != 0 || !hasAll(r.Stdout, `"code": "widened"`, `"notice": true`, `"line": 1`) {
		t.Errorf("JSON output (exit %d):\n%s", r.Code, r.Stdout)
	}
	auditWrite(t, filepath.Join(dir, "apps/plain.yaml"), auditPlainSecret)
	if r = runSeal(t, dir, nil, "", "check"); r.Code != ExitFailure || !hasAll(r.Stdout, "2 problems in 1 file, 1 notice") {
		t.Errorf("with a plaintext Secret too (exit %d):\n%s", r.Code, r.Stdout)
	}
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// seal check, with a key that opens the values files, reports a
// HelmRelease reading a values file sealed for another release (or for a
// Secret) as a problem naming both files and both identities; the release
// the file was sealed for passes. Without a key the bindings cannot be
// read, and nothing is reported about them.
func TestCheckFindsValuesSealedForAnotherRelease(t *testing.T) {
	dir := t.TempDir()
	k := newCryptKey(t, t.TempDir(), "alice", keys.X25519)
	auditGitRepo(t, dir)
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), "creation_rules:\n  - path_regex: ^apps/\n    age: "+k.recipient()+"\n")
	seal := func(file, values, ns, name, kind string) {
		sealed, err := crypto.EncryptInput(file, []byte(values), crypto.InputOptions{Recipients: []string{k.recipient()}, Namespace: ns, Name: name, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		auditWrite(t, filepath.Join(dir, file), string(sealed))
	}
	seal("apps/shop-values.yaml", "db:\n  password: pw-shop-51c2\n", "prod", "shop", crypto.ReleaseKind)
	seal("apps/app-input.yaml", "token: tok-app-0e7d\n", "prod", "app", "Secret")
	release := func(name, values string) string {
		return "apiVersion: seal.dev/v1alpha1\nkind: HelmRelease\nmetadata:\n  name: " + name + "\n  namespace: prod\nspec:\n  chart: {path: charts/app, version: 1.0.0}\n  valuesFiles: [" + values + "]\n"
	}
	auditWrite(t, filepath.Join(dir, "apps/shop.yaml"), release("shop", "apps/shop-values.yaml"))
	auditWrite(t, filepath.Join(dir, "apps/other.yaml"), release("other", "apps/shop-values.yaml")+"---\n"+release("third", "apps/app-input.yaml"))

	r := runSeal(t, dir, map[string]string{"SOPS_AGE_KEY_FILE": k.file}, "", "check")
	if r.Code != ExitFailure {
		t.Errorf("exit %d, want %d", r.Code, ExitFailure)
	}
	golden(t, "check-wrong-release.txt", r.Stdout)
	for _, v := range []string{"pw-shop-51c2", "tok-app-0e7d"} {
		if strings.Contains(r.Stdout+r.Stderr, v) {
			t.Error("seal check printed a sealed value")
		}
	}
	r = runSeal(t, dir, map[string]string{"SOPS_AGE_KEY_FILE": k.file}, "", "check", "-o", "json")
	if !hasAll(r.Stdout, `"code": "wrong-release"`, `"file": "apps/other.yaml"`, `"line": 9`, "sealed for Secret prod/app") {
		t.Errorf("JSON output:\n%s", r.Stdout)
	}
	// The release file alone: its values files are read from disk.
	r = runSeal(t, dir, map[string]string{"SOPS_AGE_KEY_FILE": k.file}, "", "check", "apps/other.yaml")
	if r.Code != ExitFailure || !hasAll(r.Stdout, "apps/other.yaml:1: HelmRelease prod/other reads values file apps/shop-values.yaml, which is sealed for HelmRelease prod/shop", "checked 1 file: 2 problems") {
		t.Errorf("seal check apps/other.yaml (exit %d):\n%s", r.Code, r.Stdout)
	}
	r = runSeal(t, dir, map[string]string{"SOPS_AGE_KEY_FILE": filepath.Join(dir, "no-such-key.txt"), "HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}, "", "check")
	if strings.Contains(r.Stdout, "wrong-release") || strings.Contains(r.Stdout, "sealed for HelmRelease") {
		t.Errorf("without a key seal check reported a binding it cannot read:\n%s", r.Stdout)
	}
}
