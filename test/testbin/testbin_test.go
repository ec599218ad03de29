package testbin_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/seal-gitops/seal/test/testbin"
)

const secret = `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: hunter2
`

// TestSOPSRoundTrip checks that the sops CLI built from source encrypts a
// Secret for an age recipient and decrypts it back.
func TestSOPSRoundTrip(t *testing.T) {
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "secret.yaml")
	if err := os.WriteFile(plain, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(sops, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+keyFile)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sops %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return out
	}
	if v := run("--version", "--disable-version-check"); !bytes.Contains(v, []byte("3.13.3")) {
		t.Errorf("sops --version = %q, want 3.13.3", v)
	}
	enc := run("encrypt", "--age", id.Recipient().String(), "--encrypted-regex", "^(data|stringData)$", "secret.yaml")
	if bytes.Contains(enc, []byte("hunter2")) {
		t.Fatalf("encrypted output holds the plaintext:\n%s", enc)
	}
	for _, want := range []string{"name: db", "password: ENC[AES256_GCM,", id.Recipient().String(), "mac: ENC["} {
		if !bytes.Contains(enc, []byte(want)) {
			t.Errorf("encrypted output lacks %q:\n%s", want, enc)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.enc.yaml"), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	dec := run("decrypt", "secret.enc.yaml")
	if !bytes.Contains(dec, []byte("password: hunter2")) {
		t.Errorf("decrypted output lacks the plaintext:\n%s", dec)
	}
}

// TestCachedBinariesAreReused checks the cache: asking twice gives the same
// file without rebuilding it.
func TestCachedBinariesAreReused(t *testing.T) {
	first, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(first)
	if err != nil {
		t.Fatal(err)
	}
	second, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(second)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || !before.ModTime().Equal(after.ModTime()) {
		t.Errorf("second lookup gave %s (modified %v), want the cached %s (modified %v)", second, after.ModTime(), first, before.ModTime())
	}
	if _, err := testbin.Path("nonesuch"); err == nil {
		t.Error("Path(nonesuch) succeeded")
	}
}

// TestGiteaBuiltWithSQLiteAndAssets checks the Gitea build: the pinned
// version, the sqlite tags (cgo), and its options, templates and public
// directories beside the binary.
func TestGiteaBuiltWithSQLiteAndAssets(t *testing.T) {
	gitea, err := testbin.Path("gitea")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gitea, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("gitea --version: %v: %s", err, out)
	}
	for _, want := range []string{"1.26.0", "sqlite, sqlite_unlock_notify"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("gitea --version = %q, lacks %q", out, want)
		}
	}
	for _, f := range []string{"options/locale/locale_en-US.json", "templates/base/head.tmpl", "public/assets/img/logo.svg"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(gitea), filepath.FromSlash(f))); err != nil {
			t.Errorf("asset missing beside the binary: %v", err)
		}
	}
}
