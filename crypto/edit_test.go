package crypto

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// changedLines lists the lines of b that differ from a (same line count).
func changedLines(t *testing.T, a, b []byte) []string {
	t.Helper()
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	if len(al) != len(bl) {
		t.Fatalf("line counts differ: %d and %d", len(al), len(bl))
	}
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			if k := strings.SplitN(strings.TrimSpace(bl[i]), ":", 2)[0]; k != "lastmodified" {
				out = append(out, k) // lastmodified may or may not change within a second
			}
		}
	}
	return out
}

func TestReencrypt(t *testing.T) {
	xa, ha := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")
	plain := string(readFile(t, "testdata/plain/multi.yaml"))
	orig, err := Encrypt("multi.yaml", []byte(plain), EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		changed []string // keys of the changed lines; nil: same line count not expected
	}{
		{"unchanged", func(s string) string { return s }, []string{}},
		{"one value", func(s string) string { return strings.Replace(s, "paypal: cGF5cGFsLXNlY3JldA==", "paypal: bmV3", 1) },
			[]string{"paypal", "mac", "mac"}},
		{"a plaintext field", func(s string) string { return strings.Replace(s, "name: tls", "name: tls-v2", 1) },
			[]string{"mac", "name", "mac"}},
		{"a value in the second document", func(s string) string {
			return strings.Replace(s, "tls.crt: not-a-real-certificate", "tls.crt: still-not-real", 1)
		}, []string{"mac", "tls.crt", "mac"}},
		{"a new key", func(s string) string { return strings.Replace(s, "  paypal:", "  adyen: YWR5ZW4=\n  paypal:", 1) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit(plain)
			out, err := Reencrypt("multi.yaml", orig, []byte(edited), idsOf(ha))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decrypt("multi.yaml", out, idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(edited, string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(tt.changed) == 0 && tt.changed != nil && !bytes.Equal(orig, out) {
				t.Error("an unchanged edit rewrote the file")
			}
			if len(tt.changed) > 0 {
				if diff := cmp.Diff(tt.changed, changedLines(t, orig, out)); diff != "" {
					t.Errorf("changed lines (-want +got):\n%s", diff)
				}
			}
			if tt.changed == nil {
				for _, v := range encValues(string(orig)) {
					if !strings.Contains(string(out), v) && !strings.Contains(string(orig), "mac: "+v) {
						t.Errorf("an unchanged value lost its ciphertext")
					}
				}
			}
		})
	}
}

// TestReencryptTwins: equal values at the same path in two documents keep
// their own ciphertexts.
func TestReencryptTwins(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	plain := "kind: Secret\ndata:\n  p: c2FtZQ==\n---\nkind: Secret\ndata:\n  p: c2FtZQ==\n  q: eA==\n"
	orig, err := Encrypt("t.yaml", []byte(plain), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Reencrypt("t.yaml", orig, []byte(strings.Replace(plain, "q: eA==", "q: eQ==", 1)), idsOf(xa))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mac", "q", "mac"}, changedLines(t, orig, out)); diff != "" {
		t.Errorf("changed lines (-want +got):\n%s", diff)
	}
}

func TestReencryptErrors(t *testing.T) {
	xa, xb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b")
	plain := string(readFile(t, "testdata/plain/secret.yaml"))
	orig, err := Encrypt("s.yaml", []byte(plain), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(orig), "name: orders-db", "name: orders-dc", 1))
	tests := []struct {
		name     string
		original []byte
		edited   string
		keys     []testKey
		want     error
		msg      string
	}{
		{"wrong key", orig, plain, []testKey{xb}, ErrNoMatchingIdentity, "encrypted for " + xa.recipient},
		{"tampered original", tampered, plain, []testKey{xa}, ErrMACMismatch, ""},
		{"invalid YAML", orig, strings.Replace(plain, "password: correct-horse-battery-staple", "password: [correct-horse-battery-staple", 1), []testKey{xa}, ErrMalformed, "near line 14"},
		{"sops entry", orig, string(orig), []testKey{xa}, ErrAlreadyEncrypted, "remove it"},
		{"no longer a Secret", orig, strings.Replace(plain, "kind: Secret", "kind: ConfigMap", 1), []testKey{xa}, ErrNotSecret, ""},
		{"a ConfigMap added", orig, plain + "---\nkind: ConfigMap\ndata:\n  a: b\n", []testKey{xa}, ErrMixedKinds, ""},
		{"emptied", orig, "# nothing\n", []testKey{xa}, ErrMalformed, "delete it instead"},
		{"too large", orig, strings.Repeat("#", MaxFileSize+1), []testKey{xa}, ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Reencrypt("s.yaml", tt.original, []byte(tt.edited), idsOf(tt.keys...))
			checkErr(t, err, tt.want, "s.yaml")
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}
