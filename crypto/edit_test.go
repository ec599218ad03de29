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
	plain := string(boundPlain(t, "multi.yaml")) // as Decrypt returns it
	orig, err := Encrypt("multi.yaml", readFile(t, "testdata/plain/multi.yaml"), EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		changed []string  // keys of the changed lines; nil: same line count not expected
		rebind  [2]string // the binding Reencrypt rewrites: from, to
	}{
		{"unchanged", func(s string) string { return s }, []string{}, [2]string{}},
		{"one value", func(s string) string { return strings.Replace(s, "paypal: cGF5cGFsLXNlY3JldA==", "paypal: bmV3", 1) },
			[]string{"paypal", "mac", "mac"}, [2]string{}},
		{"a plaintext field", func(s string) string { return strings.Replace(s, "type: kubernetes.io/tls", "type: Opaque", 1) },
			[]string{"mac", "type", "mac"}, [2]string{}},
		// The Secret renamed: its stale binding is recomputed.
		{"the Secret's name", func(s string) string { return strings.Replace(s, "name: api-keys", "name: payment-keys", 1) },
			[]string{"name", "seal.dev/sealed-for", "mac", "mac"}, [2]string{"Secret/shop/api-keys", "Secret/shop/payment-keys"}},
		{"the Secret's namespace", func(s string) string {
			return strings.Replace(s, "namespace: shop\n  annotations:\n    seal.dev/sealed-for: Secret/shop/tls", "namespace: web\n  annotations:\n    seal.dev/sealed-for: Secret/shop/tls", 1)
		},
			[]string{"mac", "namespace", "seal.dev/sealed-for", "mac"}, [2]string{"Secret/shop/tls", "Secret/web/tls"}},
		{"the binding removed", func(s string) string {
			return strings.Replace(s, "  annotations:\n    seal.dev/sealed-for: Secret/shop/tls\n", "", 1)
		}, nil, [2]string{"namespace: shop\ntype:", "namespace: shop\n  annotations:\n    seal.dev/sealed-for: Secret/shop/tls\ntype:"}},
		{"the binding changed by hand", func(s string) string { return strings.Replace(s, "Secret/shop/tls", "Secret/kube-system/tls", 1) },
			[]string{"mac", "mac"}, [2]string{"Secret/kube-system/tls", "Secret/shop/tls"}},
		{"a value in the second document", func(s string) string {
			return strings.Replace(s, "tls.crt: not-a-real-certificate", "tls.crt: still-not-real", 1)
		}, []string{"mac", "tls.crt", "mac"}, [2]string{}},
		{"a new key", func(s string) string { return strings.Replace(s, "  paypal:", "  adyen: YWR5ZW4=\n  paypal:", 1) }, nil, [2]string{}},
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
			want := edited
			if tt.rebind[0] != "" {
				want = strings.Replace(edited, tt.rebind[0], tt.rebind[1], 1)
			}
			if diff := cmp.Diff(want, string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(tt.changed) == 0 && tt.changed != nil && !bytes.Equal(orig, out) {
				t.Error("an unchanged edit rewrote the file")
			}
			if d.Unbound != nil {
				t.Errorf("Unbound = %v", d.Unbound)
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
