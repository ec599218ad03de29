package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// Test fixtures shared by the check, hook and keys tests.

// auditSecretValue is the plaintext every test Secret holds: no output may
// ever contain it.
const auditSecretValue = "hunter2-do-not-print"

const auditPlainSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: app
type: Opaque
stringData:
  password: ` + auditSecretValue + `
  empty: ""
`

// auditSealedSecret is auditPlainSecret as it decrypts once encrypted, with
// the identity it was sealed for.
var auditSealedSecret = strings.Replace(auditPlainSecret, "  namespace: app\n",
	"  namespace: app\n  annotations:\n    seal.dev/sealed-for: Secret/app/db\n", 1)

const auditConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  level: debug
`

// auditKey is a generated identity with a placeholder name for goldens.
type auditKey struct {
	id          *keys.Identity
	placeholder string
	file        string // identity file, written on demand by keyFile
}

func (k *auditKey) recipient() string { return k.id.Recipient() }

// newAuditKey generates an identity; placeholder replaces its recipient in
// golden output ("A" gives <KEY-A>).
func newAuditKey(t testing.TB, kind keys.Kind, name string) *auditKey {
	t.Helper()
	id, err := keys.Generate(kind)
	if err != nil {
		t.Fatal(err)
	}
	return &auditKey{id: id, placeholder: name}
}

// keyFile writes the identity to a file in dir (once) and returns its path.
func (k *auditKey) keyFile(t testing.TB, dir string) string {
	t.Helper()
	if k.file == "" {
		k.file = filepath.Join(dir, "key-"+k.placeholder+".txt")
		auditWrite(t, k.file, string(k.id.MarshalText(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))))
	}
	return k.file
}

// auditScrub replaces what varies between runs in output: the keys' recipients
// (whole, shortened and fingerprinted) and dir.
func auditScrub(s, dir string, ks ...*auditKey) string {
	return scrubKeys(s, dir, false, ks)
}

// auditScrubTable is auditScrub for tables: placeholders are padded to the
// width of what they replace, so columns stay aligned.
func auditScrubTable(s, dir string, ks ...*auditKey) string {
	return scrubKeys(s, dir, true, ks)
}

func scrubKeys(s, dir string, pad bool, ks []*auditKey) string {
	replace := func(s, old, placeholder string) string {
		if n := utf8.RuneCountInString(old) - len(placeholder); pad && n > 0 {
			placeholder += strings.Repeat(" ", n)
		}
		return strings.ReplaceAll(s, old, placeholder)
	}
	for _, k := range ks {
		r := k.recipient()
		s = replace(s, r, "<KEY-"+k.placeholder+">")
		s = replace(s, keys.Short(r), "<KEY-"+k.placeholder+">")
		s = replace(s, keys.Fingerprint(r), "<FP-"+k.placeholder+">")
	}
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "<DIR>")
	}
	return s
}

func auditWrite(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func auditRead(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// auditSopsConfig returns a .sops.yaml with one rule per path_regex, in order.
func auditSopsConfig(rules ...auditRule) string {
	var b strings.Builder
	b.WriteString("creation_rules:\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "  - path_regex: %s\n    encrypted_regex: ^(data|stringData)$\n    age: >-\n      ", r.regex)
		for i, k := range r.keys {
			if i > 0 {
				b.WriteString(",\n      ")
			}
			b.WriteString(k.recipient())
		}
		b.WriteString("\n")
	}
	return b.String()
}

type auditRule struct {
	regex string
	keys  []*auditKey
}

// encrypted returns plaintext encrypted for ks.
func auditEncrypt(t testing.TB, name, plaintext string, ks ...*auditKey) string {
	t.Helper()
	var rs []string
	for _, k := range ks {
		rs = append(rs, k.recipient())
	}
	out, err := crypto.Encrypt(name, []byte(plaintext), crypto.EncryptOptions{Recipients: rs})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// decrypts reports whether the file at path opens with k, and fails the
// test if it opens to anything but plaintext.
func auditDecrypts(t *testing.T, path, plaintext string, k *auditKey) bool {
	t.Helper()
	d, err := crypto.Decrypt(path, []byte(auditRead(t, path)), keys.NewRing(k.id).AgeIdentities())
	if err != nil {
		return false
	}
	if string(d.Plaintext) != plaintext {
		t.Errorf("%s decrypts to something else than was encrypted", path)
	}
	return true
}

// gitRepo makes dir a git repository with a committer set.
func auditGitRepo(t *testing.T, dir string) {
	t.Helper()
	auditGit(t, dir, "init", "-q", "-b", "main")
	auditGit(t, dir, "config", "user.email", "test@example.com")
	auditGit(t, dir, "config", "user.name", "Test")
	auditGit(t, dir, "config", "commit.gpgsign", "false")
}

// gitT runs git in dir and returns its output.
func auditGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// noLeak fails the test when the secret value appears in output.
func auditNoLeak(t *testing.T, r cliRun) {
	t.Helper()
	if strings.Contains(r.Stdout+r.Stderr, auditSecretValue) {
		t.Errorf("a secret value was printed")
	}
}
