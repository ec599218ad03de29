package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

// TestCheckProgress: seal check over many files prints plain progress
// lines on a stderr that is not a terminal (CI, pipes), a bar redrawn in
// place on one, and nothing for a small batch.
func TestCheckProgress(t *testing.T) {
	dir := t.TempDir()
	for i := range 120 {
		auditWrite(t, filepath.Join(dir, fmt.Sprintf("app/cm-%03d.yaml", i)), auditConfigMap)
	}

	r := runSeal(t, dir, nil, "", "check")
	var want strings.Builder
	for _, n := range []int{12, 24, 36, 48, 60, 72, 84, 96, 108, 120} {
		fmt.Fprintf(&want, "check: %d/120 files (%d%%)\n", n, n*100/120)
	}
	if diff := cmp.Diff(cliRun{Stdout: "checked 120 files: no problems\n", Stderr: want.String()}, r); diff != "" {
		t.Errorf("not a terminal (-want +got):\n%s", diff)
	}

	f, out, errOut := testFactory(dir, nil, "")
	f.IO.ErrTerminal = true
	if code := run(context.Background(), f, []string{"check"}); code != ExitOK {
		t.Fatalf("terminal: exit %d: %s", code, errOut)
	}
	if out.String() != "checked 120 files: no problems\n" {
		t.Errorf("terminal: stdout %q", out)
	}
	bar := errOut.String()
	if !strings.Contains(bar, "\r") || !strings.Contains(bar, "check") || !strings.Contains(bar, "/120") || strings.Contains(bar, "\n") {
		t.Errorf("terminal: want a bar redrawn in place (\\r, no newline), got %q", bar)
	}

	small := t.TempDir()
	auditWrite(t, filepath.Join(small, "cm.yaml"), auditConfigMap)
	if r := runSeal(t, small, nil, "", "check"); r.Stderr != "" {
		t.Errorf("small batch: stderr %q", r.Stderr)
	}
}

// TestEncryptProgress: seal encrypt -i over a directory of many Secrets
// prints plain progress lines before its summary when stderr is not a
// terminal.
func TestEncryptProgress(t *testing.T) {
	dir := t.TempDir()
	a := newCryptKey(t, filepath.Join(dir, "keys"), "A", keys.X25519)
	for i := range 100 {
		cryptWrite(t, filepath.Join(dir, fmt.Sprintf("secrets/s-%03d.yaml", i)), cryptTwoSecrets)
	}
	r := runSeal(t, dir, nil, "", "encrypt", "-i", "-r", a.recipient(), "secrets")
	var want strings.Builder
	for n := 10; n <= 100; n += 10 {
		fmt.Fprintf(&want, "encrypt: %d/100 files (%d%%)\n", n, n)
	}
	want.WriteString("encrypted 100 files\n")
	if diff := cmp.Diff(cliRun{Stderr: want.String()}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRotateProgress: seal keys rotate over 100 files prints plain
// progress lines on a stderr that is not a terminal, besides its per-file
// lines; on a terminal a bar, after which the per-file lines follow.
func TestRotateProgress(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.X25519, "B")
	setup := func() string {
		dir := t.TempDir()
		auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, []*auditKey{a, b}}))
		enc := auditEncrypt(t, "s.yaml", auditPlainSecret, a)
		for i := range 100 {
			auditWrite(t, filepath.Join(dir, fmt.Sprintf("secrets/s-%03d.yaml", i)), enc)
		}
		return dir
	}
	env := map[string]string{keys.EnvKeyFile: a.keyFile(t, t.TempDir())}

	r := runSeal(t, setup(), env, "", "keys", "rotate")
	var want strings.Builder
	for n := 10; n <= 100; n += 10 {
		fmt.Fprintf(&want, "rotate: %d/100 files (%d%%)\n", n, n)
	}
	if r.Code != ExitOK || r.Stderr != want.String() {
		t.Errorf("not a terminal: exit %d, stderr (-want +got):\n%s", r.Code, cmp.Diff(want.String(), r.Stderr))
	}
	if n := strings.Count(r.Stdout, "rotated     secrets/"); n != 100 || !strings.HasSuffix(r.Stdout, "rotated 100 files, 0 up to date, 0 failed\n") {
		t.Errorf("not a terminal: %d per-file lines, stdout ends %q", n, r.Stdout[max(0, len(r.Stdout)-80):])
	}

	dir := setup()
	f, out, errOut := testFactory(dir, env, "")
	f.IO.ErrTerminal = true
	if code := run(context.Background(), f, []string{"keys", "rotate"}); code != ExitOK {
		t.Fatalf("terminal: exit %d: %s", code, errOut)
	}
	bar := errOut.String()
	if !strings.Contains(bar, "\r") || !strings.Contains(bar, "rotate") || !strings.Contains(bar, "/100") || strings.Contains(bar, "\n") {
		t.Errorf("terminal: want a bar redrawn in place (\\r, no newline), got %q", bar)
	}
	if n := strings.Count(out.String(), "rotated     secrets/"); n != 100 {
		t.Errorf("terminal: %d per-file lines after the bar, want 100", n)
	}
}
