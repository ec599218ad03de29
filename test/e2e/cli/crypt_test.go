package cli_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/testbin"
	"go.yaml.in/yaml/v3"
)

// Plaintext values of the crypt tests: only decrypt's stdout may hold them.
const (
	cryptPassword = "e2e-crypt-password-never-printed"
	cryptToken    = "e2e-crypt-token-never-printed"
)

const cryptSecrets = `# two Secrets of one app
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
type: Opaque
stringData:
  password: ` + cryptPassword + `
  user: admin
---
apiVersion: v1
kind: Secret
metadata:
  name: api
  namespace: app
stringData:
  token: ` + cryptToken + `
`

// cryptSecretsSealed is cryptSecrets as seal decrypts it once seal has
// encrypted or edited it: each Secret carries the identity it was sealed for.
var cryptSecretsSealed = strings.NewReplacer(
	"  name: db\n  namespace: app\n", "  name: db\n  namespace: app\n  annotations:\n    seal.dev/sealed-for: Secret/app/db\n",
	"  name: api\n  namespace: app\n", "  name: api\n  namespace: app\n  annotations:\n    seal.dev/sealed-for: Secret/app/api\n",
).Replace(cryptSecrets)

// cryptEnv is a working directory for the crypt tests, and how to run the
// built seal and the real sops in it.
type cryptEnv struct {
	t   *testing.T
	dir string
}

func (e *cryptEnv) path(name string) string { return filepath.Join(e.dir, name) }

func (e *cryptEnv) write(name, content string, perm os.FileMode) {
	e.t.Helper()
	if err := os.MkdirAll(filepath.Dir(e.path(name)), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(e.path(name), []byte(content), perm); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cryptEnv) read(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// run runs program (bin.Seal or sops) in the directory with a clean
// environment plus env, and checks its exit code. Only stdout of a
// decryption may hold a plaintext value.
func (e *cryptEnv) run(program string, env []string, code int, args ...string) harness.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := harness.Run(ctx, harness.Command{Path: program, Args: args, Dir: e.dir, Env: env})
	if err != nil {
		e.t.Fatalf("%s %s: %v", filepath.Base(program), strings.Join(args, " "), err)
	}
	if res.ExitCode != code {
		e.t.Fatalf("%s %s: exit %d, want %d\nstderr: %s", filepath.Base(program), strings.Join(args, " "), res.ExitCode, code, cryptRedact(res.Stderr))
	}
	out := res.Stderr
	if args[0] != "decrypt" {
		out += res.Stdout
	}
	if strings.Contains(out, cryptPassword) || strings.Contains(out, cryptToken) {
		e.t.Fatalf("%s %s printed a secret value", filepath.Base(program), strings.Join(args, " "))
	}
	return res
}

var cryptEncRe = regexp.MustCompile(`ENC\[[^\]]*\]`)

// cryptRedact hides the test's secret values, for failure output.
func cryptRedact(s string) string {
	return strings.NewReplacer(cryptPassword, "<PASSWORD>", cryptToken, "<TOKEN>").Replace(s)
}

// sameText fails the test if got is not want, without printing secrets.
func sameText(t *testing.T, what, want, got string) {
	t.Helper()
	if got != want {
		t.Errorf("%s (-want +got):\n%s", what, cmp.Diff(cryptRedact(want), cryptRedact(got)))
	}
}

// sameYAML fails the test if got does not hold the same YAML documents as
// want. The sops CLI indents its output its own way (four spaces).
func sameYAML(t *testing.T, what, want, got string) {
	t.Helper()
	if !cmp.Equal(yamlDocs(t, want), yamlDocs(t, got)) {
		t.Errorf("%s: other YAML than expected:\n%s", what, cmp.Diff(cryptRedact(want), cryptRedact(got)))
	}
}

func yamlDocs(t *testing.T, s string) []any {
	t.Helper()
	var docs []any
	dec := yaml.NewDecoder(strings.NewReader(s))
	for {
		var doc any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("not YAML: %v", err)
		}
		docs = append(docs, doc)
	}
}

// TestCryptWorkflow: keygen, encrypt with a .sops.yaml rule, the real sops
// decrypts, seal decrypts, seal edit changes one value.
func TestCryptWorkflow(t *testing.T) {
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	e := &cryptEnv{t: t, dir: t.TempDir()}

	recipient := strings.TrimSpace(e.run(bin.Seal, nil, 0, "keygen", "-o", "keys/me.txt").Stdout)
	if !strings.HasPrefix(recipient, "age1pq1") {
		t.Fatalf("keygen printed %q, want a post-quantum recipient", recipient)
	}
	if fi, err := os.Stat(e.path("keys/me.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys/me.txt: %v, mode %v; want 0600", err, fi.Mode())
	}
	e.run(bin.Seal, nil, 1, "keygen", "-o", "keys/me.txt") // never overwritten

	e.write(".sops.yaml", "creation_rules:\n  - path_regex: ^apps/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: "+recipient+"\n", 0o644)
	e.write("apps/db.yaml", cryptSecrets, 0o644)
	e.run(bin.Seal, nil, 0, "-i", "apps/db.yaml") // the shorthand of seal encrypt -i
	enc := e.read("apps/db.yaml")
	if strings.Contains(enc, cryptPassword) || !strings.Contains(enc, "name: db") || strings.Count(enc, "\nsops:\n") != 2 {
		t.Fatalf("apps/db.yaml is not two encrypted Secrets with readable names:\n%s", enc)
	}
	res := e.run(bin.Seal, nil, 0, "encrypt", "-i", "apps")
	if e.read("apps/db.yaml") != enc || !strings.Contains(res.Stderr, "apps/db.yaml: already encrypted, left as is") {
		t.Errorf("encrypting again: stderr %q, and the file changed: %v", res.Stderr, e.read("apps/db.yaml") != enc)
	}

	keyEnv := []string{"SOPS_AGE_KEY_FILE=" + e.path("keys/me.txt")}
	sameYAML(t, "sops decrypt", cryptSecretsSealed, e.run(sops, keyEnv, 0, "decrypt", "apps/db.yaml").Stdout)
	sameText(t, "seal decrypt", cryptSecretsSealed, e.run(bin.Seal, keyEnv, 0, "decrypt", "apps/db.yaml").Stdout)
	e.run(bin.Seal, nil, 1, "decrypt", "apps/db.yaml") // no key anywhere

	editor := e.editor("sed -i 's/user: admin/user: root/' \"$F\"")
	e.run(bin.Seal, append(keyEnv, "EDITOR="+editor), 0, "edit", "apps/db.yaml")
	edited := e.read("apps/db.yaml")
	want := strings.Replace(cryptSecretsSealed, "user: admin", "user: root", 1)
	sameYAML(t, "sops decrypt after seal edit", want, e.run(sops, keyEnv, 0, "decrypt", "apps/db.yaml").Stdout)
	before, after := cryptEncRe.FindAllString(enc, -1), cryptEncRe.FindAllString(edited, -1)
	changed := 0
	for i := range min(len(before), len(after)) {
		if before[i] != after[i] {
			changed++
		}
	}
	// user's ciphertext and the first document's MAC (every document
	// carries the same MAC) change; nothing else.
	if len(before) != len(after) || changed != 3 {
		t.Errorf("%d of %d ciphertexts changed, want 3 (the value and the MAC in both documents)", changed, len(before))
	}
	e.assertTempGone()
}

// TestCryptDecryptsSopsFiles: a file the real sops encrypted opens with
// seal decrypt and seal edit.
func TestCryptDecryptsSopsFiles(t *testing.T) {
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	e := &cryptEnv{t: t, dir: t.TempDir()}
	for _, kind := range []string{"pq", "x25519"} {
		t.Run(kind, func(t *testing.T) {
			e.t = t
			args := []string{"keygen", "-o", "keys/" + kind + ".txt"}
			if kind == "x25519" {
				args = append(args, "--x25519")
			}
			recipient := strings.TrimSpace(e.run(bin.Seal, nil, 0, args...).Stdout)
			e.write("plain.yaml", cryptSecrets, 0o600)
			enc := e.run(sops, nil, 0, "encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", "plain.yaml").Stdout
			e.write(kind+".yaml", enc, 0o644)
			got := e.run(bin.Seal, nil, 0, "decrypt", "-i", "keys/"+kind+".txt", kind+".yaml").Stdout
			sameYAML(t, "seal decrypt of a sops file", cryptSecrets, got)
			if kind == "pq" {
				// Saved unchanged, it gets its Secrets' identities sealed.
				noop := e.editor("true")
				e.run(bin.Seal, []string{"EDITOR=" + noop}, 0, "edit", "-i", "keys/"+kind+".txt", kind+".yaml")
				got = e.run(bin.Seal, nil, 0, "decrypt", "-i", "keys/"+kind+".txt", kind+".yaml").Stdout
				sameYAML(t, "seal decrypt after saving unchanged", cryptSecretsSealed, got)
			}
			editor := e.editor("sed -i 's/user: admin/user: root/' \"$F\"")
			e.run(bin.Seal, []string{"EDITOR=" + editor}, 0, "edit", "-i", "keys/"+kind+".txt", kind+".yaml")
			// The first edit seals each Secret's identity into the file.
			want := strings.Replace(cryptSecretsSealed, "user: admin", "user: root", 1)
			keyEnv := []string{"SOPS_AGE_KEY_FILE=" + e.path("keys/"+kind+".txt")}
			sameYAML(t, "sops decrypt after seal edit", want, e.run(sops, keyEnv, 0, "decrypt", kind+".yaml").Stdout)
		})
	}
}

// TestCryptExitCodes: 0 for success, 1 for failures, 2 for usage errors.
func TestCryptExitCodes(t *testing.T) {
	e := &cryptEnv{t: t, dir: t.TempDir()}
	recipient := strings.TrimSpace(e.run(bin.Seal, nil, 0, "keygen", "--x25519", "-o", "key.txt").Stdout)
	e.write("secret.yaml", cryptSecrets, 0o644)
	e.write("mixed.yaml", cryptSecrets+"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", 0o644)
	for _, tt := range []struct {
		code int
		args []string
	}{
		{0, []string{"encrypt", "-r", recipient, "secret.yaml"}},
		{0, []string{"secret.yaml", "-r", recipient}},
		{0, []string{"keygen", "--help"}},
		{1, []string{"encrypt", "-i", "secret.yaml"}}, // no recipients
		{1, []string{"encrypt", "-r", recipient, "mixed.yaml"}},
		{1, []string{"decrypt", "-i", "key.txt", "secret.yaml"}}, // not encrypted
		{1, []string{"nothere.yaml"}},
		{2, []string{"ecnrypt", "secret.yaml"}},
		{2, []string{"encrypt", "-r", "age1bogus", "secret.yaml"}},
		{2, []string{"encrypt", "-r", recipient, "secret.yaml", "mixed.yaml"}},
		{2, []string{"decrypt"}},
		{2, []string{"edit", "--bogus", "secret.yaml"}},
	} {
		e.run(bin.Seal, nil, tt.code, tt.args...)
	}
	if e.read("secret.yaml") != cryptSecrets {
		t.Error("secret.yaml was changed")
	}
}

// TestCryptEditTerminated: SIGTERM while the editor runs leaves the file
// as it was and removes the temporary directory.
func TestCryptEditTerminated(t *testing.T) {
	e := &cryptEnv{t: t, dir: t.TempDir()}
	recipient := strings.TrimSpace(e.run(bin.Seal, nil, 0, "keygen", "-o", "key.txt").Stdout)
	e.write("secret.yaml", cryptSecrets, 0o644)
	e.run(bin.Seal, nil, 0, "encrypt", "-i", "-r", recipient, "secret.yaml")
	enc := e.read("secret.yaml")

	editor := e.editor("sed -i 's/user: admin/user: root/' \"$F\"\nexec sleep 60")
	p, err := harness.Start(harness.Command{Path: bin.Seal, Args: []string{"edit", "-i", "key.txt", "secret.yaml"}, Dir: e.dir, Env: []string{"EDITOR=" + editor}})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(e.path("editor-ran")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			p.Stop(time.Second)
			t.Fatalf("the editor did not start: %s", cryptRedact(p.Output()))
		}
	}
	time.Sleep(200 * time.Millisecond) // let sed finish
	err, killed := p.Stop(10 * time.Second)
	var exit *exec.ExitError
	if killed || !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("seal edit after SIGTERM: %v (killed: %v), want exit status 1\n%s", err, killed, cryptRedact(p.Output()))
	}
	if out := p.Output(); strings.Contains(out, cryptPassword) || strings.Contains(out, cryptToken) {
		t.Error("seal edit printed a secret value")
	}
	if !strings.Contains(p.Output(), "interrupted; the file was left unchanged") {
		t.Errorf("output: %s", cryptRedact(p.Output()))
	}
	if e.read("secret.yaml") != enc {
		t.Error("secret.yaml was changed")
	}
	e.assertTempGone()
}

// editor writes a shell script editor that records the directory of the
// file it was given in editor-ran, then runs body with the file in $F.
func (e *cryptEnv) editor(body string) string {
	e.t.Helper()
	path := e.path("editor-" + time.Now().Format("150405.000000000") + ".sh")
	e.write(filepath.Base(path), "#!/bin/sh\nF=\"$1\"\ndirname \"$F\" > '"+e.path("editor-ran.tmp")+"'\nmv '"+e.path("editor-ran.tmp")+"' '"+e.path("editor-ran")+"'\n"+body+"\n", 0o755)
	return path
}

// assertTempGone checks that the last editor's temporary directory is gone.
func (e *cryptEnv) assertTempGone() {
	e.t.Helper()
	dir := strings.TrimSpace(e.read("editor-ran"))
	if !strings.Contains(dir, "seal-edit-") {
		e.t.Fatalf("the editor was given a file in %s", dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		e.t.Errorf("the temporary directory %s is still there (%v)", dir, err)
	}
}
