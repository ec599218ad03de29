package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seal-gitops/seal/keys"
)

// editRun is one scripted editor: the script, and the marker file in which
// it records the file it was given and the modes of that file and its
// directory.
type editRun struct {
	script, marker string
}

// newEditor writes a shell script editor that records what it was given
// and then runs body, with the file to edit in $F (its last argument).
func newEditor(t *testing.T, body string) editRun {
	t.Helper()
	dir := t.TempDir()
	e := editRun{script: filepath.Join(dir, "editor.sh"), marker: filepath.Join(dir, "marker")}
	script := "#!/bin/sh\nfor F; do :; done\n" +
		`stat -c '%a %n' "$F" "$(dirname "$F")" > '` + e.marker + ".tmp'\n" +
		`echo "args: $#" >> '` + e.marker + ".tmp'\n" +
		`mv '` + e.marker + ".tmp' '" + e.marker + "'\n" + body + "\n"
	if err := os.WriteFile(e.script, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return e
}

// temp returns the temporary file the editor was given, checking its mode
// and its directory's; ok is false when the editor never ran.
func (e editRun) temp(t *testing.T) (file, dir string, args string, ok bool) {
	t.Helper()
	data, err := os.ReadFile(e.marker)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 {
		t.Fatalf("marker: %q", data)
	}
	fileMode, file, _ := strings.Cut(lines[0], " ")
	dirMode, dir, _ := strings.Cut(lines[1], " ")
	if fileMode != "600" || dirMode != "700" {
		t.Errorf("temporary file mode %s, directory mode %s; want 600 and 700", fileMode, dirMode)
	}
	return file, dir, lines[2], true
}

// assertCleanedUp checks that the editor ran and its directory is gone.
func (e editRun) assertCleanedUp(t *testing.T) {
	t.Helper()
	_, dir, _, ok := e.temp(t)
	if !ok {
		t.Fatal("the editor did not run")
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary directory %s is still there (%v)", dir, err)
	}
}

// editSetup is a directory with secret.yaml (cryptTwoSecrets encrypted for
// A) and A's identity file keys/A.txt.
func editSetup(t *testing.T) (dir, enc string, a *cryptKey) {
	t.Helper()
	dir = t.TempDir()
	a = newCryptKey(t, filepath.Join(dir, "keys"), "A", keys.Hybrid)
	enc = cryptEncrypt(t, "secret.yaml", cryptTwoSecrets, a)
	cryptWrite(t, filepath.Join(dir, "secret.yaml"), enc)
	return dir, enc, a
}

var editMACLineRe = regexp.MustCompile(`(?m)^\s*mac: .*$`)

// editCiphertexts lists the ENC[…] strings of a file's values (not the
// MAC's).
func editCiphertexts(s string) []string {
	return regexp.MustCompile(`ENC\[[^\]]*\]`).FindAllString(editMACLineRe.ReplaceAllString(s, ""), -1)
}

func TestEditChangesOnlyTheEditedValue(t *testing.T) {
	dir, enc, a := editSetup(t)
	ed := newEditor(t, `sed -i 's/password: `+cryptValue+`/password: changed-value/' "$F"`)
	r := runSeal(t, dir, map[string]string{"EDITOR": ed.script}, "", "edit", "--identity", "keys/A.txt", "secret.yaml")
	if diff := cryptDiff(cliRun{Stderr: "secret.yaml: saved; values you did not change kept their ciphertext\n"}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ed.assertCleanedUp(t)

	path := filepath.Join(dir, "secret.yaml")
	want := strings.Replace(cryptTwoSecretsSealed, cryptValue, "changed-value", 1)
	if diff := cryptDiff(want, cryptDecrypt(t, path, a)); diff != "" {
		t.Errorf("decrypted (-want +got):\n%s", diff)
	}
	after := cryptRead(t, path)
	before, now := editCiphertexts(enc), editCiphertexts(after)
	// Four values and two sealed identities; the password is the second.
	if len(before) != 6 || len(now) != 6 {
		t.Fatalf("%d and %d encrypted values, want 6", len(before), len(now))
	}
	if before[1] == now[1] {
		t.Error("the changed value kept its ciphertext")
	}
	before[1], now[1] = "", ""
	if diff := cmp.Diff(before, now); diff != "" {
		t.Errorf("unchanged values got new ciphertexts (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(ageBlockRe.FindAllString(enc, -1), ageBlockRe.FindAllString(after, -1)); diff != "" {
		t.Errorf("the wrapped data keys changed:\n%s", diff)
	}
	golden(t, "edit-saved.txt", cryptScrub(after, dir, a))
}

func TestEditNoChange(t *testing.T) {
	dir, enc, _ := editSetup(t)
	ed := newEditor(t, "true")
	r := runSeal(t, dir, map[string]string{"VISUAL": ed.script}, "", "edit", "-i", "keys/A.txt", "secret.yaml")
	want := "seal: warning: -i FILE is deprecated: use --identity FILE (-i will mean --in-place, as in sops and seal encrypt and decrypt)\n" +
		"secret.yaml: no changes, left as is\n"
	if diff := cryptDiff(cliRun{Stderr: want}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ed.assertCleanedUp(t)
	if cryptRead(t, filepath.Join(dir, "secret.yaml")) != enc {
		t.Error("the file was rewritten")
	}
}

func TestEditEditorWithArguments(t *testing.T) {
	dir, _, a := editSetup(t)
	ed := newEditor(t, `sed -i 's/user: admin/user: root/' "$F"`)
	// $VISUAL before $EDITOR, as git, sops and kubectl edit read them.
	env := map[string]string{"VISUAL": `'` + ed.script + `' --wait "two words"`, "EDITOR": "/nonexistent/editor"}
	r := runSeal(t, dir, env, "", "edit", "--identity", "keys/A.txt", "secret.yaml")
	if r.Code != ExitOK {
		t.Fatalf("exit %d: %s", r.Code, cryptRedact(r.Stderr))
	}
	if _, _, args, _ := ed.temp(t); args != "args: 3" {
		t.Errorf("the editor got %s, want 3 (--wait, \"two words\", the file)", args)
	}
	ed.assertCleanedUp(t)
	want := strings.Replace(cryptTwoSecretsSealed, "user: admin", "user: root", 1)
	if diff := cryptDiff(want, cryptDecrypt(t, filepath.Join(dir, "secret.yaml"), a)); diff != "" {
		t.Errorf("decrypted (-want +got):\n%s", diff)
	}
}

func TestEditInterrupted(t *testing.T) {
	dir, enc, _ := editSetup(t)
	ed := newEditor(t, `sed -i 's/user: admin/user: root/' "$F"`+"\nexec sleep 60")
	f, _, errOut := testFactory(dir, map[string]string{"EDITOR": ed.script}, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() { done <- run(ctx, f, []string{"edit", "--identity", "keys/A.txt", "secret.yaml"}) }()

	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, _, _, ok := ed.temp(t); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the editor did not start")
		}
	}
	time.Sleep(100 * time.Millisecond) // let sed finish
	cancel()
	select {
	case code := <-done:
		if code != ExitFailure {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("seal edit did not stop when its context was cancelled")
	}
	if want := "seal: error: secret.yaml: interrupted; the file was left unchanged: context canceled\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", cryptRedact(errOut.String()), want)
	}
	ed.assertCleanedUp(t)
	if cryptRead(t, filepath.Join(dir, "secret.yaml")) != enc {
		t.Error("the file was changed")
	}
}
