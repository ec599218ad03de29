package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/testbin"
)

// The plaintext of the test Secret: no output may contain it.
const auditSecretValue = "e2e-hunter2-never-printed"

const auditSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
type: Opaque
stringData:
  password: ` + auditSecretValue + `
`

// auditEnv is a repository directory with keys and the tools' paths.
type auditEnv struct {
	t    *testing.T
	dir  string
	sops string
}

func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	return &auditEnv{t: t, dir: t.TempDir(), sops: sops}
}

// key generates an identity, writes it to a file outside the repository
// and returns the file and the recipient.
func (e *auditEnv) key(kind keys.Kind) (file, recipient string) {
	e.t.Helper()
	id, err := keys.Generate(kind)
	if err != nil {
		e.t.Fatal(err)
	}
	file = filepath.Join(e.t.TempDir(), "key.txt")
	if err := os.WriteFile(file, id.MarshalText(time.Now()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return file, id.Recipient()
}

func (e *auditEnv) write(name, content string) {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *auditEnv) read(name string) string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// rule writes a .sops.yaml whose one rule covers secrets/ for recipients.
func (e *auditEnv) rule(recipients ...string) {
	e.write(".sops.yaml", "creation_rules:\n  - path_regex: ^secrets/\n    encrypted_regex: ^(data|stringData)$\n    age: "+
		strings.Join(recipients, ",")+"\n")
}

// run runs a program in the repository with env added to a clean one; when
// the program is seal, it fails the test if seal printed the secret value.
func (e *auditEnv) run(path string, env []string, args ...string) harness.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := harness.Run(ctx, harness.Command{Path: path, Args: args, Dir: e.dir, Env: env})
	if err != nil {
		e.t.Fatalf("%s %s: %v", filepath.Base(path), strings.Join(args, " "), err)
	}
	if path == bin.Seal && strings.Contains(res.Stdout+res.Stderr, auditSecretValue) {
		e.t.Errorf("%s %s printed the secret value", filepath.Base(path), strings.Join(args, " "))
	}
	return res
}

// must is run, failing the test unless the program succeeds.
func (e *auditEnv) must(path string, env []string, args ...string) harness.Result {
	e.t.Helper()
	res := e.run(path, env, args...)
	if res.ExitCode != 0 {
		e.t.Fatalf("%s %s: exit %d\n%s%s", filepath.Base(path), strings.Join(args, " "), res.ExitCode, res.Stdout, res.Stderr)
	}
	return res
}

// pathWith is a PATH holding the directories of the given programs, and
// nothing else.
func pathWith(t *testing.T, programs ...string) string {
	t.Helper()
	var dirs []string
	for _, p := range programs {
		if !filepath.IsAbs(p) {
			var err error
			if p, err = exec.LookPath(p); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	return "PATH=" + strings.Join(dirs, string(os.PathListSeparator))
}

// TestHookRefusesPlaintextCommit: after `seal hook install`, git commit
// runs seal check --staged and refuses a plaintext Secret, accepts the
// same Secret once sops has encrypted it, and says how to install seal
// when it is not on PATH.
func TestHookRefusesPlaintextCommit(t *testing.T) {
	e := newAuditEnv(t)
	keyFile, recipient := e.key(keys.X25519)
	withSeal := []string{pathWith(t, bin.Seal, "git", "sh")}
	withoutSeal := []string{pathWith(t, "git", "sh")}
	e.must("git", nil, "init", "-q", "-b", "main")
	e.must("git", nil, "config", "user.email", "e2e@example.com")
	e.must("git", nil, "config", "user.name", "E2E")
	e.rule(recipient)
	e.write("app/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: debug\n")

	res := e.must(bin.Seal, withSeal, "hook", "install")
	if !strings.Contains(res.Stdout, "installed the pre-commit hook .git/hooks/pre-commit") {
		t.Errorf("hook install said: %s", res.Stdout)
	}
	e.must("git", withSeal, "add", ".")
	e.must("git", withSeal, "commit", "-q", "-m", "config and a ConfigMap")

	e.write("secrets/db.yaml", auditSecret)
	e.must("git", withSeal, "add", "secrets/db.yaml")
	res = e.run("git", withSeal, "commit", "-q", "-m", "a plaintext Secret")
	if res.ExitCode == 0 {
		t.Fatalf("the commit of a plaintext Secret was accepted")
	}
	if want := "secrets/db.yaml:8: Secret value stringData.password is in plaintext"; !strings.Contains(res.Stdout+res.Stderr, want) {
		t.Errorf("the hook's output lacks %q:\n%s%s", want, res.Stdout, res.Stderr)
	}

	res = e.run("git", withoutSeal, "commit", "-q", "-m", "a plaintext Secret, seal missing")
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "seal is not on PATH") ||
		!strings.Contains(res.Stderr, "go install github.com/seal-gitops/seal/cmd/seal@latest") {
		t.Errorf("without seal on PATH: exit %d\n%s", res.ExitCode, res.Stderr)
	}

	e.must(e.sops, []string{"SOPS_AGE_KEY_FILE=" + keyFile}, "encrypt", "--in-place", "secrets/db.yaml")
	e.must("git", withSeal, "add", "secrets/db.yaml")
	e.must("git", withSeal, "commit", "-q", "-m", "the Secret, encrypted by sops")
	if log := e.must("git", nil, "log", "--format=%s").Stdout; !strings.HasPrefix(log, "the Secret, encrypted by sops\n") {
		t.Errorf("git log:\n%s", log)
	}
}

func TestCheckExitCodes(t *testing.T) {
	e := newAuditEnv(t)
	_, recipient := e.key(keys.Hybrid)
	e.rule(recipient)
	e.write("app/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")
	for _, tt := range []struct {
		name   string
		setup  func()
		args   []string
		code   int
		stdout string
	}{
		{"clean", func() {}, []string{"check"}, 0, "checked 1 file: no problems\n"},
		{"plaintext Secret", func() { e.write("secrets/db.yaml", auditSecret) }, []string{"check"}, 1,
			"secrets/db.yaml:8: Secret value stringData.password is in plaintext — encrypt the file with `seal encrypt -i secrets/db.yaml`\n" +
				"checked 2 files: 1 problem in 1 file\n"},
		{"bad flag", func() {}, []string{"check", "--nope"}, 2, ""},
		{"bad output format", func() {}, []string{"check", "-o", "xml"}, 2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			res := e.run(bin.Seal, nil, tt.args...)
			if res.ExitCode != tt.code || res.Stdout != tt.stdout {
				t.Errorf("exit %d (want %d), stdout:\n%s\nstderr:\n%s", res.ExitCode, tt.code, res.Stdout, res.Stderr)
			}
		})
	}
}

// TestKeysRotateWithSops: files encrypted by the sops CLI are rotated by
// seal, and the sops CLI then opens them with the new key, and no longer
// with a dropped one.
func TestKeysRotateWithSops(t *testing.T) {
	e := newAuditEnv(t)
	oldFile, oldR := e.key(keys.X25519)
	newFile, newR := e.key(keys.Hybrid)
	withOld := []string{"SOPS_AGE_KEY_FILE=" + oldFile}
	withNew := []string{"SOPS_AGE_KEY_FILE=" + newFile}
	files := []string{"secrets/a.yaml", "secrets/b.yaml"}
	e.rule(oldR)
	for _, f := range files {
		e.write(f, auditSecret)
		e.must(e.sops, withOld, "encrypt", "--in-place", f)
	}
	decrypt := func(env []string, f string) harness.Result {
		return e.run(e.sops, env, "decrypt", f)
	}

	// Add the new key, then drop the old one, with a new data key.
	e.rule(oldR, newR)
	res := e.must(bin.Seal, withOld, "keys", "rotate")
	if !strings.Contains(res.Stdout, "rotated 2 files, 0 up to date, 0 failed\n") {
		t.Errorf("rotate:\n%s", res.Stdout)
	}
	for _, f := range files {
		for _, env := range [][]string{withOld, withNew} {
			if res := decrypt(env, f); res.ExitCode != 0 || !strings.Contains(res.Stdout, "password: "+auditSecretValue+"\n") {
				t.Errorf("sops decrypt %s with %s: exit %d\n%s", f, env[0], res.ExitCode, res.Stderr)
			}
		}
	}
	before := e.read("secrets/a.yaml")
	res = e.must(bin.Seal, nil, "keys", "rotate")
	if !strings.Contains(res.Stdout, "rotated 0 files, 2 up to date, 0 failed\n") || e.read("secrets/a.yaml") != before {
		t.Errorf("second rotate changed something:\n%s", res.Stdout)
	}

	e.rule(newR)
	e.must(bin.Seal, nil, "keys", "rotate", "--new-data-key", "--identity", newFile)
	for _, f := range files {
		if res := decrypt(withNew, f); res.ExitCode != 0 || !strings.Contains(res.Stdout, "password: "+auditSecretValue+"\n") {
			t.Errorf("sops decrypt %s with the new key: exit %d\n%s", f, res.ExitCode, res.Stderr)
		}
		if res := decrypt(withOld, f); res.ExitCode == 0 {
			t.Errorf("sops decrypt %s with the dropped key succeeded", f)
		}
	}
	// The files were made by sops, so they carry no sealed identity: the
	// check passes and says so in notices.
	res = e.run(bin.Seal, nil, "check")
	if res.ExitCode != 0 || !strings.HasSuffix(res.Stdout, "checked 2 files: no problems, 2 notices\n") {
		t.Errorf("check after rotation: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
}
