package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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

// checkFix runs seal check -o json in dir and returns the command of the
// fix of its one finding, which must have code.
func checkFix(t *testing.T, dir, code string) string {
	t.Helper()
	r := runSeal(t, dir, nil, "", "check", "-o", "json")
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
