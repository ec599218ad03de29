package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// Fixtures of the keygen, encrypt, decrypt and edit tests.

// cryptValue and cryptToken are plaintext values of the test Secrets: no
// output but decrypt's stdout may hold them.
const (
	cryptValue = "hunter2-never-print"
	cryptToken = "token-never-print"
)

// cryptTwoSecrets is a two-document Secret file with comments and a
// four-space indentation, which encrypt must keep.
const cryptTwoSecrets = `# database credentials
apiVersion: v1
kind: Secret
metadata:
    name: db
    namespace: app
    labels:
        app: db # the database
type: Opaque
stringData:
    password: ` + cryptValue + `
    user: admin
---
apiVersion: v1
kind: Secret
metadata:
    name: api
    namespace: app
data:
    token: dG9rZW4tbmV2ZXItcHJpbnQ=
stringData:
    raw: ` + cryptToken + `
`

// cryptTwoSecretsSealed is cryptTwoSecrets as it decrypts once encrypted:
// each Secret carries the identity encrypt sealed it for.
var cryptTwoSecretsSealed = strings.NewReplacer(
	"        app: db # the database\n", "        app: db # the database\n    annotations:\n        seal.dev/sealed-for: Secret/app/db\n",
	"    namespace: app\ndata:", "    namespace: app\n    annotations:\n        seal.dev/sealed-for: Secret/app/api\ndata:",
).Replace(cryptTwoSecrets)

const cryptConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  level: debug
`

// cryptKey is a generated identity, written to an identity file, with a
// placeholder for golden output.
type cryptKey struct {
	id          *keys.Identity
	file        string
	placeholder string
}

func (k *cryptKey) recipient() string { return k.id.Recipient() }

// newCryptKey generates an identity and writes it to dir/name.txt.
func newCryptKey(t *testing.T, dir, name string, kind keys.Kind) *cryptKey {
	t.Helper()
	id, err := keys.Generate(kind)
	if err != nil {
		t.Fatal(err)
	}
	k := &cryptKey{id: id, file: filepath.Join(dir, name+".txt"), placeholder: "<KEY-" + name + ">"}
	cryptWrite(t, k.file, string(id.MarshalText(cryptNow)))
	return k
}

// cryptNow is when test identities are created.
var cryptNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// cryptWrite writes a test file, making its directory.
func cryptWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cryptRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cryptRule returns a .sops.yaml with one creation rule.
func cryptRule(pathRegex string, ks ...*cryptKey) string {
	var rs []string
	for _, k := range ks {
		rs = append(rs, k.recipient())
	}
	return "creation_rules:\n  - path_regex: " + pathRegex + "\n    encrypted_regex: ^(data|stringData)$\n    age: " + strings.Join(rs, ",") + "\n"
}

// cryptEncrypt encrypts plaintext for ks with the crypto package.
func cryptEncrypt(t *testing.T, name, plaintext string, ks ...*cryptKey) string {
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

// cryptDecrypt decrypts the file at path with k.
func cryptDecrypt(t *testing.T, path string, k *cryptKey) string {
	t.Helper()
	d, err := crypto.Decrypt(path, []byte(cryptRead(t, path)), keys.NewRing(k.id).AgeIdentities())
	if err != nil {
		t.Fatalf("decrypting %s: %v", path, err)
	}
	return string(d.Plaintext)
}

var (
	cryptEncRe     = regexp.MustCompile(`ENC\[AES256_GCM,data:[^\]]*,type:(\w+)\]`)
	ageBlockRe     = regexp.MustCompile(`(?s)-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----`)
	lastModifiedRe = regexp.MustCompile(`(lastmodified"?:\s*)"[^"]*"`)
)

// cryptScrub replaces what differs between runs with placeholders: the
// directory, ciphertexts, wrapped data keys, times and recipients.
func cryptScrub(s, dir string, ks ...*cryptKey) string {
	for _, k := range ks {
		r := k.recipient()
		s = strings.ReplaceAll(s, r, k.placeholder)
		s = strings.ReplaceAll(s, keys.Short(r), k.placeholder)
		s = strings.ReplaceAll(s, crypto.ShortRecipient(r), k.placeholder)
	}
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "<DIR>")
	}
	s = cryptEncRe.ReplaceAllString(s, "ENC[…,type:$1]")
	s = ageBlockRe.ReplaceAllString(s, "<AGE ENCRYPTED FILE>")
	return lastModifiedRe.ReplaceAllString(s, `$1"<TIME>"`)
}

// cryptNoLeak fails the test if a plaintext value was printed.
func cryptNoLeak(t *testing.T, what string, r cliRun) {
	t.Helper()
	for _, v := range []string{cryptValue, cryptToken, "dG9rZW4tbmV2ZXItcHJpbnQ="} {
		if strings.Contains(r.Stdout+r.Stderr, v) {
			t.Errorf("%s: a secret value was printed", what)
		}
	}
}

// cryptRedact replaces the test's secret values with placeholders.
func cryptRedact(s string) string {
	return strings.NewReplacer(cryptValue, "<VALUE>", cryptToken, "<TOKEN>", "dG9rZW4tbmV2ZXItcHJpbnQ=", "<TOKEN-BASE64>").Replace(s)
}

// cryptDiff is cmp.Diff(want, got) that never prints a secret value of
// the tests: failure output must not hold one either.
func cryptDiff(want, got any) string {
	if cmp.Equal(want, got) {
		return ""
	}
	if d := cmp.Diff(want, got, cmp.Transformer("redact", cryptRedact)); d != "" {
		return d
	}
	return "they differ in a secret value (not shown)"
}
