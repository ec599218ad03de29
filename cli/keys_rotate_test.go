package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

// rotateRepo writes a repository whose rule ^secrets/ names ruleKeys, with
// secrets/a.yaml and secrets/b.yaml encrypted for fileKeys and a ConfigMap.
func rotateRepo(t *testing.T, ruleKeys, fileKeys []*auditKey) string {
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, ruleKeys}))
	for _, name := range []string{"a.yaml", "b.yaml"} {
		auditWrite(t, filepath.Join(dir, "secrets", name), auditEncrypt(t, name, auditPlainSecret, fileKeys...))
	}
	auditWrite(t, filepath.Join(dir, "apps/settings.yaml"), auditConfigMap)
	return dir
}

func TestKeysRotate(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.Hybrid, "B")
	dir := rotateRepo(t, []*auditKey{a}, []*auditKey{a})
	files := []string{filepath.Join(dir, "secrets/a.yaml"), filepath.Join(dir, "secrets/b.yaml")}
	withA := map[string]string{keys.EnvKeyFile: a.keyFile(t, t.TempDir())}
	config := filepath.Join(dir, ".sops.yaml")

	// B added to the rule: after rotation both keys open every file.
	auditWrite(t, config, auditSopsConfig(auditRule{`^secrets/`, []*auditKey{a, b}}))
	r := runSeal(t, dir, withA, "", "keys", "rotate")
	want := cliRun{Stdout: "rotated     secrets/a.yaml: add <KEY-B>\nrotated     secrets/b.yaml: add <KEY-B>\nrotated 2 files, 0 up to date, 0 failed\n"}
	if diff := cmp.Diff(want, scrubRun(r, dir, a, b)); diff != "" {
		t.Errorf("adding a key (-want +got):\n%s", diff)
	}
	for _, f := range files {
		if !auditDecrypts(t, f, auditSealedSecret, a) || !auditDecrypts(t, f, auditSealedSecret, b) {
			t.Errorf("%s does not open with both keys after rotation", f)
		}
	}

	// A second run has nothing to do, needs no key, and changes no byte.
	before := readAll(t, files)
	r = runSeal(t, dir, nil, "", "keys", "rotate")
	want = cliRun{Stdout: "up to date  secrets/a.yaml\nup to date  secrets/b.yaml\nrotated 0 files, 2 up to date, 0 failed\n"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, readAll(t, files)); diff != "" {
		t.Errorf("the second run changed files")
	}

	// A dropped from the rule: after rotation A no longer opens the files.
	auditWrite(t, config, auditSopsConfig(auditRule{`^secrets/`, []*auditKey{b}}))
	// (-i still names an identity, with a warning: it will mean --in-place.)
	r = runSeal(t, dir, nil, "", "keys", "rotate", "-i", b.keyFile(t, t.TempDir()), "secrets")
	want = cliRun{Stdout: "rotated     secrets/a.yaml: remove <KEY-A>\nrotated     secrets/b.yaml: remove <KEY-A>\nrotated 2 files, 0 up to date, 0 failed\n",
		Stderr: "seal: warning: -i FILE is deprecated: use --identity FILE (-i will mean --in-place, as in sops and seal encrypt and decrypt)\n"}
	if diff := cmp.Diff(want, scrubRun(r, dir, a, b)); diff != "" {
		t.Errorf("dropping a key (-want +got):\n%s", diff)
	}
	for _, f := range files {
		if auditDecrypts(t, f, auditSealedSecret, a) {
			t.Errorf("%s still opens with the dropped key", f)
		}
		if !auditDecrypts(t, f, auditSealedSecret, b) {
			t.Errorf("%s does not open with the remaining key", f)
		}
	}

	// --new-data-key re-encrypts every value.
	before = readAll(t, files)
	r = runSeal(t, dir, map[string]string{keys.EnvKeyFile: b.file}, "", "keys", "rotate", "--new-data-key")
	want = cliRun{Stdout: "rotated     secrets/a.yaml: new data key\nrotated     secrets/b.yaml: new data key\nrotated 2 files, 0 up to date, 0 failed\n"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("--new-data-key (-want +got):\n%s", diff)
	}
	after := readAll(t, files)
	for i, f := range files {
		old, cur := encValues(before[i]), encValues(after[i])
		if len(old) == 0 || len(old) != len(cur) {
			t.Fatalf("%s: %d encrypted values before, %d after", f, len(old), len(cur))
		}
		for j := range old {
			if old[j] == cur[j] {
				t.Errorf("%s: encrypted value %d is unchanged by --new-data-key", f, j)
			}
		}
		if !auditDecrypts(t, f, auditSealedSecret, b) {
			t.Errorf("%s does not open after --new-data-key", f)
		}
	}
}

var encValueRe = regexp.MustCompile(`ENC\[AES256_GCM,data:[^\]]*\]`)

// encValues lists the encrypted values of a file, its MAC included.
func encValues(s string) []string { return encValueRe.FindAllString(s, -1) }

func readAll(t *testing.T, paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, auditRead(t, p))
	}
	return out
}

func scrubRun(r cliRun, dir string, ks ...*auditKey) cliRun {
	r.Stdout, r.Stderr = auditScrub(r.Stdout, dir, ks...), auditScrub(r.Stderr, dir, ks...)
	return r
}

// TestKeysRotateFailure: a file no identity opens fails alone; the others
// are rotated, the exit status is 1 and the failure is named.
func TestKeysRotateFailure(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.X25519, "B")
	c := newAuditKey(t, keys.X25519, "C")
	dir := rotateRepo(t, []*auditKey{a, b}, []*auditKey{a})
	other := filepath.Join(dir, "secrets/c.yaml")
	auditWrite(t, other, auditEncrypt(t, "c.yaml", auditPlainSecret, c))
	orig := auditRead(t, other)

	r := runSeal(t, dir, map[string]string{keys.EnvKeyFile: a.keyFile(t, t.TempDir())}, "", "keys", "rotate")
	auditNoLeak(t, r)
	r = scrubRun(r, dir, a, b, c)
	wantOut := "rotated     secrets/a.yaml: add <KEY-B>\nrotated     secrets/b.yaml: add <KEY-B>\nrotated 2 files, 0 up to date, 1 failed\n"
	if r.Code != ExitFailure || r.Stdout != wantOut {
		t.Errorf("got %+v", r)
	}
	for _, s := range []string{
		"seal: error: secrets/c.yaml: no matching identity",
		"seal: hint: the identities tried are for <KEY-A>; pass the right identity file with --identity FILE",
		"seal: error: 1 file of 3 not rotated: secrets/c.yaml\n",
		"seal: hint: fix the problems above and run seal keys rotate again",
	} {
		if !strings.Contains(r.Stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.Stderr)
		}
	}
	if auditRead(t, other) != orig {
		t.Errorf("the file that failed was changed")
	}
	for _, f := range []string{"secrets/a.yaml", "secrets/b.yaml"} {
		if !auditDecrypts(t, filepath.Join(dir, f), auditSealedSecret, b) {
			t.Errorf("%s was not rotated", f)
		}
	}
}

func TestKeysRotateNoIdentity(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.X25519, "B")
	dir := rotateRepo(t, []*auditKey{a, b}, []*auditKey{a})
	before := readAll(t, []string{filepath.Join(dir, "secrets/a.yaml")})
	r := runSeal(t, dir, nil, "", "keys", "rotate")
	if r.Code != ExitFailure || r.Stdout != "" || !strings.Contains(r.Stderr, "seal: error: no age identity found") {
		t.Errorf("got %+v", r)
	}
	if diff := cmp.Diff(before, readAll(t, []string{filepath.Join(dir, "secrets/a.yaml")})); diff != "" {
		t.Errorf("a file changed without any identity")
	}
}

func TestKeysRotateNothing(t *testing.T) {
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, "apps/settings.yaml"), auditConfigMap)
	r := runSeal(t, dir, nil, "", "keys", "rotate")
	if diff := cmp.Diff(cliRun{Stdout: "no encrypted files found\n"}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestKeysRotateInterrupted: a rotation cancelled before it starts on a
// file leaves the file as it was, fails, and a second run finishes.
func TestKeysRotateInterrupted(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.X25519, "B")
	dir := rotateRepo(t, []*auditKey{a, b}, []*auditKey{a})
	files := []string{filepath.Join(dir, "secrets/a.yaml"), filepath.Join(dir, "secrets/b.yaml")}
	before := readAll(t, files)
	env := map[string]string{keys.EnvKeyFile: a.keyFile(t, t.TempDir())}

	f, out, errOut := testFactory(dir, env, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code := run(ctx, f, []string{"keys", "rotate"})
	if code != ExitFailure || !strings.Contains(errOut.String(), "seal: error: secrets/a.yaml: interrupted before it was rotated\n") ||
		!strings.Contains(out.String(), "rotated 0 files, 0 up to date, 2 failed\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if diff := cmp.Diff(before, readAll(t, files)); diff != "" {
		t.Errorf("an interrupted rotation changed files")
	}
	r := runSeal(t, dir, env, "", "keys", "rotate")
	if r.Code != ExitOK || !strings.Contains(r.Stdout, "rotated 2 files, 0 up to date, 0 failed\n") {
		t.Errorf("second run: %+v", r)
	}
}

// TestKeysRotateProgress: a small batch shows no progress, on a terminal
// or not (TestRotateProgress has the large one), and the per-file lines
// reach stdout.
func TestKeysRotateProgress(t *testing.T) {
	a := newAuditKey(t, keys.X25519, "A")
	b := newAuditKey(t, keys.X25519, "B")
	dir := rotateRepo(t, []*auditKey{a, b}, []*auditKey{a})
	for _, terminal := range []bool{false, true} {
		f, out, errOut := testFactory(dir, map[string]string{keys.EnvKeyFile: a.keyFile(t, t.TempDir())}, "")
		f.IO.ErrTerminal = terminal
		code := run(context.Background(), f, []string{"keys", "rotate", "--new-data-key"})
		want := "rotated     secrets/a.yaml: new data key; add <KEY-B>\nrotated     secrets/b.yaml: new data key; add <KEY-B>\nrotated 2 files, 0 up to date, 0 failed\n"
		if terminal {
			want = strings.ReplaceAll(want, "; add <KEY-B>", "") // the second pass only renews the data key
		}
		if code != ExitOK || auditScrub(out.String(), dir, a, b) != want {
			t.Errorf("terminal %v: exit %d, stdout:\n%s", terminal, code, out)
		}
		if errOut.String() != "" {
			t.Errorf("terminal %v: a batch under %d files shows no progress; stderr %q", terminal, progressMin, errOut)
		}
	}
}
