package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// hintCommandRe finds the seal command a finding's fix names.
var hintCommandRe = regexp.MustCompile("`(seal [^`]+)`")

// TestCheckHintsFix runs the command each hint of seal check prints, as a
// user would copy it, and checks the file again: the finding is gone.
func TestCheckHintsFix(t *testing.T) {
	k := newCheckKeys(t)
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k.a}}))
	auditWrite(t, filepath.Join(dir, "secrets/db.yaml"), auditPlainSecret)

	fix := checkFix(t, dir, codePlaintext)
	if fix != "seal encrypt -i secrets/db.yaml" {
		t.Fatalf("plaintext hint: %q", fix)
	}
	if r := runSeal(t, dir, nil, "", strings.Fields(fix)[1:]...); r.Code != ExitOK {
		t.Fatalf("%s: exit %d: %s", fix, r.Code, r.Stderr)
	}
	if r := runSeal(t, dir, nil, "", "check"); r.Code != ExitOK {
		t.Errorf("after %s: exit %d:\n%s", fix, r.Code, r.Stdout)
	}

	// A value added in plaintext to the encrypted file: remove the line as
	// the hint says, then run the seal set it prints.
	file := filepath.Join(dir, "secrets/db.yaml")
	enc := cryptRead(t, file)
	auditWrite(t, file, strings.Replace(enc, "stringData:\n", "stringData:\n  extra: added-in-plaintext\n", 1))
	fix = checkFix(t, dir, codeUnencrypted)
	if fix != "seal set secrets/db.yaml stringData.extra" {
		t.Fatalf("unencrypted value hint: %q", fix)
	}
	auditWrite(t, file, enc)
	env := map[string]string{"SEAL_AGE_KEY_FILE": k.a.keyFile(t, t.TempDir())}
	if r := runSeal(t, dir, env, "added-in-plaintext", strings.Fields(fix)[1:]...); r.Code != ExitOK {
		t.Fatalf("%s: exit %d: %s", fix, r.Code, r.Stderr)
	}
	if r := runSeal(t, dir, nil, "", "check"); r.Code != ExitOK {
		t.Errorf("after %s: exit %d:\n%s", fix, r.Code, r.Stdout)
	}
}

// checkFix runs seal check -o json in dir (on paths, when given) and returns the command of the
// fix of its one finding, which must have code.
func checkFix(t *testing.T, dir, code string, paths ...string) string {
	t.Helper()
	r := runSeal(t, dir, nil, "", append([]string{"check", "-o", "json"}, paths...)...)
	var out struct {
		Findings []finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	var fixes []string
	for _, f := range out.Findings {
		if f.Code == code {
			fixes = append(fixes, f.Fix)
		}
	}
	if len(fixes) != 1 {
		t.Fatalf("findings %s: %+v", code, out.Findings)
	}
	m := hintCommandRe.FindStringSubmatch(fixes[0])
	if m == nil {
		t.Fatalf("fix %q names no seal command", fixes[0])
	}
	return m[1]
}

// TestCheckHintsBindUnboundFiles: files the sops CLI encrypted carry no
// sealed identity. seal check reports each with the command that binds it;
// run as printed (with the Secret's namespace and name filled in), the
// finding is gone and every value is kept.
func TestCheckHintsBindUnboundFiles(t *testing.T) {
	dir := t.TempDir()
	input := readCryptoFixture(t, "sops/app.env")
	secret := readCryptoFixture(t, "sops/x25519.yaml")
	rule := func(re, name string, data []byte) string {
		md, err := crypto.Inspect(name, data)
		if err != nil {
			t.Fatal(err)
		}
		return "  - path_regex: " + re + "\n    age: " + strings.Join(md.Recipients, ",") + "\n"
	}
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), "creation_rules:\n"+rule(`^secrets/app\.env$`, "app.env", input)+rule(`^secrets/db\.yaml$`, "db.yaml", secret))
	auditWrite(t, filepath.Join(dir, "secrets/app.env"), string(input))
	auditWrite(t, filepath.Join(dir, "secrets/db.yaml"), string(secret))
	env := map[string]string{"SEAL_AGE_KEY_FILE": filepath.Join("..", "crypto", "testdata", "keys", "x25519-a.txt"), "VISUAL": "true"}
	if abs, err := filepath.Abs(env["SEAL_AGE_KEY_FILE"]); err == nil {
		env["SEAL_AGE_KEY_FILE"] = abs
	}
	before, err := crypto.Decrypt("app.env", input, loadTestIdentities(t, env["SEAL_AGE_KEY_FILE"]).AgeIdentities())
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		file, fix string
		fill      func(string) string
	}{
		{"secrets/app.env", "seal bind secrets/app.env NAMESPACE/NAME", func(s string) string { return strings.Replace(s, "NAMESPACE/NAME", "shop/app", 1) }},
		{"secrets/db.yaml", "seal edit secrets/db.yaml", func(s string) string { return s }},
	} {
		fix := checkFix(t, dir, codeUnbound, tt.file)
		if fix != tt.fix {
			t.Fatalf("%s: unbound hint %q, want %q", tt.file, fix, tt.fix)
		}
		if r := runSeal(t, dir, env, "", strings.Fields(tt.fill(fix))[1:]...); r.Code != ExitOK {
			t.Fatalf("%s: exit %d: %s", fix, r.Code, r.Stderr)
		}
		if r := runSeal(t, dir, nil, "", "check", tt.file); r.Code != ExitOK || strings.Contains(r.Stdout, "sealed identity") || strings.Contains(r.Stdout, "without a binding") {
			t.Errorf("after %s: exit %d:\n%s", fix, r.Code, r.Stdout)
		}
	}
	after, err := crypto.Decrypt("app.env", []byte(cryptRead(t, filepath.Join(dir, "secrets/app.env"))), loadTestIdentities(t, env["SEAL_AGE_KEY_FILE"]).AgeIdentities())
	if err != nil {
		t.Fatal(err)
	}
	if want := string(before.Plaintext) + crypto.InputBindingKey + "=Secret/shop/app\n"; string(after.Plaintext) != want {
		t.Errorf("bound app.env decrypts to\n%s\nwant\n%s", after.Plaintext, want)
	}
}

// readCryptoFixture reads a file of crypto's test data.
func readCryptoFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "crypto", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// loadTestIdentities parses an age identity file.
func loadTestIdentities(t *testing.T, path string) *keys.Ring {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keys.ParseIdentities(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}
