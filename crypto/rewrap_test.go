package crypto

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewrap(t *testing.T) {
	xa, xb, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	plain := readFile(t, "testdata/plain/multi.yaml")
	orig, err := Encrypt("multi.yaml", plain, EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		recipients  []testKey
		newKey      bool
		changed     bool
		sameValues  bool // ciphertexts, MAC and lastmodified untouched
		removedKeys []testKey
	}{
		{"same recipients", []testKey{xa, ha}, false, false, true, nil},
		{"same recipients, other order", []testKey{ha, xa}, false, false, true, nil},
		{"add a recipient", []testKey{xa, ha, hb}, false, true, true, nil},
		{"replace the recipients", []testKey{xb, hb}, false, true, true, []testKey{xa, ha}},
		{"only post-quantum", []testKey{ha}, false, true, true, []testKey{xa}},
		{"new data key, same recipients", []testKey{xa, ha}, true, true, false, nil},
		{"new data key, new recipients", []testKey{xb}, true, true, false, []testKey{xa, ha}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Rewrap("multi.yaml", orig, idsOf(ha), recipientsOf(tt.recipients...), tt.newKey)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if !changed && !bytes.Equal(orig, out) {
				t.Error("nothing changed, but the output differs from the input")
			}
			m, err := Inspect("multi.yaml", out)
			if err != nil {
				t.Fatal(err)
			}
			want := recipientsOf(tt.recipients...)
			if !changed {
				want = recipientsOf(xa, ha)
			}
			if diff := cmp.Diff(want, m.Recipients); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			for _, k := range tt.recipients {
				d, err := Decrypt("multi.yaml", out, idsOf(k))
				if err != nil {
					t.Fatalf("%s: %v", k.name, err)
				}
				if diff := cmp.Diff(string(boundPlain(t, "multi.yaml")), string(d.Plaintext)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", k.name, diff)
				}
			}
			for _, k := range tt.removedKeys {
				_, err := Decrypt("multi.yaml", out, idsOf(k))
				checkErr(t, err, ErrNoMatchingIdentity, "multi.yaml")
			}
			before, after := encValues(string(orig)), encValues(string(out))
			if tt.sameValues {
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("values or MAC changed (-want +got):\n%s", diff)
				}
			} else {
				for _, v := range before {
					if slices.Contains(after, v) {
						t.Error("a ciphertext survived a new data key")
					}
				}
			}
		})
	}
}

func TestRewrapErrors(t *testing.T) {
	xa, xb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b")
	orig, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	private := strings.TrimSpace(strings.Split(string(readFile(t, xb.file)), "\n")[2])
	tests := []struct {
		name       string
		data       []byte
		keys       []testKey
		recipients []string
		want       error
	}{
		{"wrong key", orig, []testKey{xb}, recipientsOf(xb), ErrNoMatchingIdentity},
		{"no recipients", orig, []testKey{xa}, nil, ErrInvalidRecipient},
		{"private key as recipient", orig, []testKey{xa}, []string{private}, ErrInvalidRecipient},
		{"tampered", []byte(strings.Replace(string(orig), "namespace: orders", "namespace: default", 1)), []testKey{xa}, recipientsOf(xb), ErrMACMismatch},
		{"not encrypted", readFile(t, "testdata/plain/secret.yaml"), []testKey{xa}, recipientsOf(xb), ErrNotEncrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, newKey := range []bool{false, true} {
				_, changed, err := Rewrap("s.yaml", tt.data, idsOf(tt.keys...), tt.recipients, newKey)
				checkErr(t, err, tt.want, "s.yaml")
				if changed || strings.Contains(err.Error(), private) {
					t.Errorf("changed %v; error %q", changed, err)
				}
			}
		})
	}
}
