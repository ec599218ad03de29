package crypto

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// bindingRe finds the binding lines of an encrypted YAML file.
var bindingRe = regexp.MustCompile(`(?m)^ +seal\.dev/sealed-for: (ENC\[[^\]]*\])( #.*)?\n`)

// TestBindingTamper: changes an attacker without the key can make to the
// mapping keys, the binding or the rules of a file Encrypt wrote, and what
// Decrypt and the sops CLI make of them. The identity changes keep every
// value in order, so the MAC holds and sops accepts them; the binding
// catches them.
func TestBindingTamper(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	encBytes, err := Encrypt("apps/db.yaml", readFile(t, "testdata/plain/twins.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	enc := string(encBytes)
	bindings := bindingRe.FindAllStringSubmatch(enc, -1)
	if len(bindings) != 2 {
		t.Fatalf("%d bindings, want 2:\n%s", len(bindings), mask(encBytes))
	}
	line1, b1, b2 := bindings[0][0], bindings[0][1], bindings[1][1]
	const doc1Meta = "  name: db\n  namespace: prod\n"
	tests := []struct {
		name        string
		tamper      func(string) string
		want        error
		msg         string
		sopsAccepts bool
	}{
		{"swap the name and namespace keys", func(s string) string {
			return strings.Replace(s, doc1Meta, "  namespace: db\n  name: prod\n", 1)
		}, ErrIdentityMismatch, "apps/db.yaml: identity check failed (not the object it was sealed for): document 1 was sealed as Secret/prod/db, but the file now describes Secret/db/prod: its kind or metadata was changed after encryption", true},
		{"swap the keys in the second document", func(s string) string {
			return strings.Replace(s, "  name: cache\n  namespace: prod\n", "  namespace: cache\n  name: prod\n", 1)
		}, ErrIdentityMismatch, "document 2 was sealed as Secret/prod/cache, but the file now describes Secret/cache/prod", true},
		{"rename namespace to generateName", func(s string) string {
			return strings.Replace(s, "  namespace: prod\n", "  generateName: prod\n", 1)
		}, ErrIdentityMismatch, "document 1 was sealed as Secret/prod/db, but the file now describes Secret//db", true},
		{"rename name to generateName", func(s string) string {
			return strings.Replace(s, "  name: db\n", "  generateName: db\n", 1)
		}, ErrIdentityMismatch, "now describes Secret/prod/:", true},
		{"rename the metadata key", func(s string) string { return strings.Replace(s, "metadata:\n", "x-metadata:\n", 1) },
			ErrMACMismatch, "the value at x-metadata.annotations.seal.dev/sealed-for does not decrypt", false},
		{"swap the kind and apiVersion keys", func(s string) string {
			return strings.Replace(s, "apiVersion: v1\nkind: Secret\n", "kind: v1\napiVersion: Secret\n", 1)
		}, ErrIdentityMismatch, "now describes v1/prod/db", true},
		{"rename the kind key", func(s string) string { return strings.Replace(s, "kind: Secret\n", "x-kind: Secret\n", 1) },
			ErrIdentityMismatch, "now describes /prod/db", true},
		{"change the kind", func(s string) string { return strings.Replace(s, "kind: Secret\n", "kind: ConfigMap\n", 1) },
			ErrMACMismatch, "do not match the MAC", false},
		{"rename the annotation key", func(s string) string {
			return strings.Replace(s, line1, strings.Replace(line1, "sealed-for:", "sealed-fox:", 1), 1)
		}, ErrMACMismatch, "do not match the MAC", false},
		{"move the binding value to another annotation key", func(s string) string {
			return strings.Replace(s, line1, "    seal.dev/sealed-for: \"\"\n    moved: "+b1+"\n", 1)
		}, ErrMACMismatch, "do not match the MAC", false},
		{"move the binding to the labels", func(s string) string {
			return strings.Replace(s, "  annotations:\n"+line1, "  labels:\n"+line1, 1)
		}, ErrMACMismatch, "the value at metadata.labels.seal.dev/sealed-for does not decrypt", false},
		{"delete the binding entry", func(s string) string { return strings.Replace(s, line1, "", 1) },
			ErrMACMismatch, "do not match the MAC", false},
		{"delete the annotations", func(s string) string { return strings.Replace(s, "  annotations:\n"+line1, "", 1) },
			ErrMACMismatch, "do not match the MAC", false},
		{"empty the binding", func(s string) string { return strings.Replace(s, b1, `""`, 1) },
			ErrMACMismatch, "do not match the MAC", false},
		{"swap the bindings of the two documents", func(s string) string { return swap(s, b1, b2) },
			ErrMACMismatch, "do not match the MAC", false},
		{"replace the binding with plaintext", func(s string) string { return strings.Replace(s, b1, "Secret/prod/db", 1) },
			ErrMACMismatch, "the value at metadata.annotations.seal.dev/sealed-for is not encrypted", false},
		{"narrow encrypted_regex to data and stringData", func(s string) string { return strings.ReplaceAll(s, BoundEncryptedRegex, DefaultEncryptedRegex) },
			ErrMACMismatch, "do not match the MAC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := tt.tamper(enc)
			if tampered == enc {
				t.Fatal("the tamper function changed nothing")
			}
			checkTampered(t, sops, xa, "apps/db.yaml", tampered, tt.want, tt.msg, tt.sopsAccepts)
		})
	}
}

// TestBindingTamperSOPSFile: a file the sops CLI wrote has no binding, so
// renamed keys go unnoticed (Decrypt reports the Secret unbound); a binding
// added to it by hand is refused, whether it changes the MAC or not.
func TestBindingTamperSOPSFile(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	data := string(readFile(t, "testdata/sops/x25519.yaml"))
	const owner = "        owner: team-orders\n"
	tests := []struct {
		name        string
		tamper      func(string) string
		want        error
		msg         string
		sopsAccepts bool
	}{
		{"add a plaintext binding", func(s string) string {
			return strings.Replace(s, owner, owner+"        seal.dev/sealed-for: Secret/orders/orders-db\n", 1)
		}, ErrMACMismatch, "do not match the MAC", false},
		{"add an empty binding", func(s string) string {
			return strings.Replace(s, owner, owner+"        seal.dev/sealed-for: \"\"\n", 1)
		},
			ErrIdentityMismatch, "document 1 has a seal.dev/sealed-for annotation that is not encrypted, so anyone could have written it", true},
		{"add a null binding", func(s string) string { return strings.Replace(s, owner, owner+"        seal.dev/sealed-for:\n", 1) },
			ErrIdentityMismatch, "document 1 has a seal.dev/sealed-for annotation that is not encrypted", true},
		{"add a binding copied from another file", func(s string) string {
			other, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
			if err != nil {
				t.Fatal(err)
			}
			return strings.Replace(s, owner, owner+"    "+bindingRe.FindString(string(other)), 1)
		}, ErrMACMismatch, "do not match the MAC", false},
		{"swap the name and namespace keys", func(s string) string {
			return strings.Replace(s, "    name: orders-db\n    namespace: orders\n", "    namespace: orders-db\n    name: orders\n", 1)
		}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := tt.tamper(data)
			if tampered == data {
				t.Fatal("the tamper function changed nothing")
			}
			if tt.want == nil {
				d, err := Decrypt("x25519.yaml", []byte(tampered), idsOf(xa))
				if err != nil || len(d.Unbound) != 1 || d.Unbound[0] != 0 {
					t.Fatalf("Decrypt: %v; want success with document 0 unbound, got %+v", err, d)
				}
				return
			}
			checkTampered(t, sops, xa, "x25519.yaml", tampered, tt.want, tt.msg, tt.sopsAccepts)
		})
	}
}

// checkTampered asserts that Decrypt refuses a tampered file with want and
// a message saying msg (naming the file first and quoting no value), and
// what the sops CLI does with it.
func checkTampered(t *testing.T, sops string, k testKey, name, tampered string, want error, msg string, sopsAccepts bool) {
	t.Helper()
	d, err := Decrypt(name, []byte(tampered), idsOf(k))
	if err == nil {
		t.Fatalf("Decrypt accepted it:\n%s", d.Plaintext)
	}
	checkErr(t, err, want, name)
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
	for _, s := range []string{"dHdpbi", "twin-", "ENC["} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error quotes a value: %q", err)
		}
	}
	for _, other := range []error{ErrMACMismatch, ErrIdentityMismatch, ErrMalformed} {
		if other != want && errors.Is(err, other) {
			t.Errorf("error is also %v", other)
		}
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.yaml"), []byte(tampered))
	_, err = sopsCLI(t, sops, dir, []testKey{k}, "decrypt", "f.yaml")
	if sopsAccepts && err != nil {
		t.Errorf("sops refused it (update the test): %v", err)
	}
	if !sopsAccepts && err == nil {
		t.Error("sops accepted it (update the test)")
	}
}
