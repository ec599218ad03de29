package crypto

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testSecrets are the secret values in testdata/plain; no error may quote one.
var testSecrets = []string{
	"correct-horse-battery-staple", "c2VjcmV0LXRva2VuLTQy", "c2tfbGl2ZV9hYmNkZWY=",
	"cGF5cGFsLXNlY3JldA==", "FAKEFAKE", "not-a-real-certificate", "four-space-indented-secret",
	"json-password-value", "mixed-file-password", "ENC[",
}

// checkErr asserts that err wraps want, names the file first, and quotes no
// secret value, ciphertext or private key.
func checkErr(t *testing.T, err error, want error, name string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.Name != name || !strings.HasPrefix(err.Error(), name+": ") {
		t.Errorf("error %q does not start with the file name %q", err, name)
	}
	msg := err.Error()
	for _, s := range append(testSecrets, "AGE-SECRET-KEY") {
		if strings.Contains(msg, s) {
			t.Errorf("error message quotes a secret (%.4s…): %q", s, msg)
		}
	}
}

func TestEncryptGolden(t *testing.T) {
	xa, xb, ha := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a")
	tests := []struct {
		golden, input string
		keys          []testKey
	}{
		{"secret.yaml", "secret.yaml", []testKey{xa}},
		{"secret-hybrid-mixed.yaml", "secret.yaml", []testKey{ha, xa}},
		{"multi.yaml", "multi.yaml", []testKey{xa, xb}},
		{"indent4.yaml", "indent4.yaml", []testKey{xa}},
		{"secret.json", "secret.json", []testKey{xa, ha}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			in := readFile(t, filepath.Join("testdata", "plain", tt.input))
			out, err := Encrypt(tt.input, in, EncryptOptions{Recipients: recipientsOf(tt.keys...)})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, mask(out))
			for _, s := range testSecrets[:len(testSecrets)-1] {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("encrypted file holds a secret value in the clear (%.4s…)", s)
				}
			}
			// Every recipient opens the file after a stranger's identity
			// failed, and the round trip is exact.
			stranger := loadKey(t, "hybrid-b")
			for _, k := range tt.keys {
				d, err := Decrypt(tt.input, out, idsOf(stranger, k))
				if err != nil {
					t.Fatalf("recipient %s: %v", k.name, err)
				}
				if d.Identity != 1 {
					t.Errorf("recipient %s: Identity = %d, want 1", k.name, d.Identity)
				}
				if diff := cmp.Diff(string(boundPlain(t, tt.input)), string(d.Plaintext)); diff != "" {
					t.Errorf("recipient %s: round trip differs (-want +got):\n%s", k.name, diff)
				}
				if d.Unbound != nil {
					t.Errorf("recipient %s: Unbound = %v, want none", k.name, d.Unbound)
				}
			}
		})
	}
}

func TestEncryptOptions(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	in := readFile(t, "testdata/plain/secret.yaml")
	out, err := Encrypt("s.yaml", in, EncryptOptions{Recipients: recipientsOf(xa), EncryptedRegex: "^stringData$"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Inspect("s.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`^(stringData|seal\.dev/sealed-for)$`, m.EncryptedRegex); diff != "" {
		t.Error(diff)
	}
	if !bytes.Contains(out, []byte("token: c2VjcmV0LXRva2VuLTQy")) || bytes.Contains(out, []byte("correct-horse")) {
		t.Error("EncryptedRegex was not applied: data should stay plain and stringData be encrypted")
	}
	// Duplicate recipients are written once.
	out, err = Encrypt("s.yaml", in, EncryptOptions{Recipients: []string{xa.recipient, " " + xa.recipient + " "}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = Inspect("s.yaml", out); err != nil || len(m.Recipients) != 1 {
		t.Errorf("recipients %v, %v; want one", m, err)
	}
}

func TestEncryptBadRegex(t *testing.T) {
	_, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(loadKey(t, "x25519-a")), EncryptedRegex: "^(data"})
	checkErr(t, err, ErrInvalidOptions, "s.yaml")
}

func TestEncryptIndentation(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	tests := []struct {
		name, in string
		want     string // the metadata line that shows the indentation
	}{
		{"two", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\ndata:\n  k: dg==\n", "\n  encrypted_regex:"},
		{"three", "apiVersion: v1\nkind: Secret\nmetadata:\n   name: a\ndata:\n   k: dg==\n", "\n   encrypted_regex:"},
		{"four", "apiVersion: v1\nkind: Secret\nmetadata:\n    name: a\ndata:\n    k: dg==\n", "\n    encrypted_regex:"},
		{"flow", "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: dg==}\n", "\n  encrypted_regex:"},
		{"commented", "apiVersion: v1\nkind: Secret\nmetadata: # m\n  # c\n      name: a\ndata:\n      k: dg==\n", "\n      encrypted_regex:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Encrypt("s.yaml", []byte(tt.in), EncryptOptions{Recipients: recipientsOf(xa)})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output does not keep the indentation:\n%s", mask(out))
			}
		})
	}
}

func TestEncryptErrors(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	secret := readFile(t, "testdata/plain/secret.yaml")
	encrypted, err := Encrypt("secret.yaml", secret, EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	private := strings.TrimSpace(strings.Split(string(readFile(t, xa.file)), "\n")[2])
	tests := []struct {
		name, file string
		in         []byte
		recipients []string
		want       error
		wantMsg    string
	}{
		{"configmap", "cm.yaml", readFile(t, "testdata/plain/configmap.yaml"), nil, ErrNotSecret, "no document has kind: Secret"},
		{"mixed", "mixed.yaml", readFile(t, "testdata/plain/mixed.yaml"), nil, ErrMixedKinds, "document 2 is a ConfigMap, not a Secret; keep Secrets in their own files"},
		{"kindless", "k.yaml", []byte("apiVersion: v1\nkind: Secret\ndata:\n  a: mixed-file-password\n---\nfoo: bar\n"), nil, ErrMixedKinds, "document 2 is a document without a kind"},
		{"empty", "e.yaml", nil, nil, ErrNotSecret, ""},
		{"already encrypted", "secret.yaml", encrypted, nil, ErrAlreadyEncrypted, "seal edit"},
		{"too large", "big.yaml", bytes.Repeat([]byte("#"), MaxFileSize+1), nil, ErrTooLarge, "over the limit"},
		{"no recipients", "secret.yaml", secret, []string{}, ErrInvalidRecipient, "at least one"},
		{"private key as recipient", "secret.yaml", secret, []string{private}, ErrInvalidRecipient, "is a private key"},
		{"bad recipient", "secret.yaml", secret, []string{"age1notvalid"}, ErrInvalidRecipient, "recipient 1"},
		{"bad pq recipient", "secret.yaml", secret, []string{"age1pq1notvalid"}, ErrInvalidRecipient, "post-quantum"},
		{"plugin recipient", "secret.yaml", secret, []string{"age1yubikey1qwerty"}, ErrInvalidRecipient, "plugin"},
		{"ssh recipient", "secret.yaml", secret, []string{"ssh-ed25519 AAAA"}, ErrInvalidRecipient, "not an age recipient"},
		{"yaml syntax", "bad.yaml", []byte("apiVersion: v1\nkind: Secret\nstringData:\n  password: correct-horse-battery-staple\n   oops: [\n"), nil, ErrMalformed, "line 5"},
		{"yaml type", "bad.yaml", []byte("- correct-horse-battery-staple\n"), nil, ErrMalformed, "document 1 (line 1) is not a mapping"},
		{"yaml duplicate", "dup.yaml", []byte("kind: Secret\ndata:\n  a: correct-horse-battery-staple\n  a: c2VjcmV0LXRva2VuLTQy\n"), nil, ErrMalformed, "line 4: duplicate key (first defined at line 3)"},
		{"yaml alias loop", "loop.yaml", []byte("kind: Secret\ndata: &d\n  a: [*d]\n"), nil, ErrMalformed, "alias"},
		{"json syntax", "bad.json", []byte("{\n  \"kind\": \"Secret\",\n  \"stringData\": {\"p\": \"correct-horse-battery-staple\"\n}\n"), nil, ErrMalformed, "invalid JSON"},
		{"json two objects", "two.json", []byte("{\"kind\": \"Secret\"}\n{\"kind\": \"Secret\"}\n"), nil, ErrMalformed, "one object"},
		{"json array", "arr.json", []byte("[\"correct-horse-battery-staple\"]"), nil, ErrMalformed, "must be an object"},
		{"json duplicate", "dup.json", []byte("{\"kind\": \"Secret\", \"data\": {\"a\": \"correct-horse-battery-staple\",\n \"a\": \"x\"}}"), nil, ErrMalformed, "line 2: duplicate key"},
		{"json deep", "deep.json", []byte(`{"kind": "Secret", "data": ` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + "}"), nil, ErrMalformed, "nesting deeper than"},
		{"json too many values", "big.json", []byte(`{"kind": "Secret", "data": [0` + strings.Repeat(",0", maxNodes) + "]}"), nil, ErrTooLarge, "more than 500000 keys and values"},
		{"yaml deep", "deep.yaml", []byte("kind: Secret\ndata: " + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + "\n"), nil, ErrMalformed, "max depth"},
		{"yaml too many documents", "docs.yaml", []byte(strings.Repeat("---\nkind: Secret\n", maxDocuments+1)), nil, ErrTooLarge, "more than 10000 YAML documents"},
		{"yaml alias bomb", "bomb.yaml", []byte("kind: Secret\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"), nil, ErrTooLarge, "aliases expanded"},
		{"dotenv", "app.env", []byte("PASSWORD=correct-horse-battery-staple\n"), nil, ErrNotSecret, "dotenv"},
		{"non-string key", "k.yaml", []byte("kind: Secret\ndata:\n  1: correct-horse-battery-staple\n"), nil, ErrMalformed, "not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := tt.recipients
			if rs == nil {
				rs = recipientsOf(xa)
			}
			_, err := Encrypt(tt.file, tt.in, EncryptOptions{Recipients: rs})
			checkErr(t, err, tt.want, tt.file)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), private) {
				t.Error("error quotes the private key")
			}
		})
	}
}

func TestEncryptDropsEmptyDocuments(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	in := "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  a: dg==\n---\n"
	out, err := Encrypt("s.yaml", []byte(in), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "\nsops:\n"); n != 1 {
		t.Errorf("%d documents with metadata, want 1:\n%s", n, mask(out))
	}
}
