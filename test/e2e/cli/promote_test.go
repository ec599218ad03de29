package cli_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

const promoteDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: app
spec:
  replicas: 2
`

// TestPromoteWithSops: seal promote copies staging to production for two
// different agents. The real sops CLI opens each promoted Secret with the
// production key to the very bytes the staging one decrypts to, and not
// with the staging key; no plaintext reaches the disk; a second run leaves
// every file untouched, and a changed value is the only file rewritten.
func TestPromoteWithSops(t *testing.T) {
	e := newAuditEnv(t)
	stagingFile, stagingR := e.key(keys.Hybrid)
	prodFile, prodR := e.key(keys.X25519)
	teamFile, teamR := e.key(keys.X25519)
	withStaging := []string{"SOPS_AGE_KEY_FILE=" + stagingFile}
	withProd := []string{"SOPS_AGE_KEY_FILE=" + prodFile}
	e.write(".sops.yaml", "creation_rules:\n"+
		"  - path_regex: ^clusters/staging/\n    encrypted_regex: ^(data|stringData)$\n    age: "+stagingR+","+teamR+"\n"+
		"  - path_regex: ^clusters/prod/\n    encrypted_regex: ^(data|stringData)$\n    age: "+prodR+","+teamR+"\n")
	secrets := []string{"db.yaml", "api/token.yaml"}
	for _, s := range secrets {
		e.write("clusters/staging/"+s, auditSecret)
		e.must(e.sops, withStaging, "encrypt", "--in-place", "clusters/staging/"+s)
	}
	e.write("clusters/staging/deployment.yaml", promoteDeployment)
	e.write("clusters/staging/kustomization.yaml", "resources: [deployment.yaml, db.yaml, api/token.yaml]\n")

	res := e.must(bin.Seal, nil, "promote", "-i", teamFile, "clusters/staging", "clusters/prod")
	want := "reencrypted clusters/prod/api/token.yaml\n" +
		"reencrypted clusters/prod/db.yaml\n" +
		"copied      clusters/prod/deployment.yaml\n" +
		"copied      clusters/prod/kustomization.yaml\n" +
		"promoted clusters/staging to clusters/prod: 2 re-encrypted, 2 copied, 0 unchanged, 0 failed\n"
	if res.Stdout != want {
		t.Errorf("first promote: stdout\n%s\nwant\n%s", res.Stdout, want)
	}
	for _, s := range secrets {
		staged := e.must(e.sops, withStaging, "decrypt", "clusters/staging/"+s).Stdout
		promoted := e.run(e.sops, withProd, "decrypt", "clusters/prod/"+s)
		if promoted.ExitCode != 0 || promoted.Stdout != staged {
			t.Errorf("sops decrypt clusters/prod/%s with the prod key: exit %d, %q; want the staging plaintext %q\n%s",
				s, promoted.ExitCode, promoted.Stdout, staged, promoted.Stderr)
		}
		if res := e.run(e.sops, withStaging, "decrypt", "clusters/prod/"+s); res.ExitCode == 0 {
			t.Errorf("the staging key opens clusters/prod/%s: it was not re-encrypted for production", s)
		}
	}
	if e.read("clusters/prod/deployment.yaml") != promoteDeployment {
		t.Error("the plain manifest was not copied byte for byte")
	}
	noPlaintextOnDisk(t, e.dir)
	if res := e.run(bin.Seal, nil, "check"); res.ExitCode != 0 {
		t.Errorf("seal check after promote: exit %d\n%s", res.ExitCode, res.Stdout)
	}

	// Again: nothing changed, nothing written.
	before := snapshot(t, filepath.Join(e.dir, "clusters/prod"))
	res = e.must(bin.Seal, nil, "promote", "-i", teamFile, "clusters/staging", "clusters/prod")
	if !strings.HasSuffix(res.Stdout, "0 re-encrypted, 0 copied, 4 unchanged, 0 failed\n") {
		t.Errorf("second promote:\n%s", res.Stdout)
	}
	if after := snapshot(t, filepath.Join(e.dir, "clusters/prod")); !equalSnapshots(before, after) {
		t.Error("the second promote rewrote files")
	}

	// One value changes in staging: only that file is rewritten.
	e.write("clusters/staging/db.yaml", strings.Replace(auditSecret, auditSecretValue, auditSecretValue+"-v2", 1))
	e.must(e.sops, withStaging, "encrypt", "--in-place", "clusters/staging/db.yaml")
	res = e.must(bin.Seal, nil, "promote", "-i", teamFile, "clusters/staging", "clusters/prod")
	if !strings.Contains(res.Stdout, "reencrypted clusters/prod/db.yaml\n") ||
		!strings.HasSuffix(res.Stdout, "1 re-encrypted, 0 copied, 3 unchanged, 0 failed\n") {
		t.Errorf("promote after a change:\n%s", res.Stdout)
	}
	after := snapshot(t, filepath.Join(e.dir, "clusters/prod"))
	for name, content := range before {
		if changed := after[name] != content; changed != (name == "db.yaml") {
			t.Errorf("%s: changed %v after one value changed in db.yaml", name, changed)
		}
	}
	if res := e.run(e.sops, withProd, "decrypt", "clusters/prod/db.yaml"); !strings.Contains(res.Stdout, auditSecretValue+"-v2\n") {
		t.Errorf("the promoted change does not decrypt to the new value: exit %d", res.ExitCode)
	}

	// Without an identity that opens the source nothing is written.
	e.write("clusters/staging/new.yaml", auditSecret)
	e.must(e.sops, withStaging, "encrypt", "--in-place", "clusters/staging/new.yaml")
	res = e.run(bin.Seal, withProd, "promote", "clusters/staging", "clusters/prod")
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, "clusters/staging/new.yaml") {
		t.Errorf("promote with a key that does not open the source: exit %d\n%s", res.ExitCode, res.Stderr)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "clusters/prod/new.yaml")); err == nil {
		t.Error("a file the identity cannot open was written")
	}
}

// noPlaintextOnDisk fails if any file under dir, temporary files included,
// holds the secret value.
func noPlaintextOnDisk(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if data, _ := os.ReadFile(p); strings.Contains(string(data), auditSecretValue) {
			t.Errorf("%s holds the plaintext", p)
		}
		return nil
	})
}

// snapshot maps each file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
