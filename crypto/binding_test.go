package crypto

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBindingPlacement: where Encrypt puts the binding and what identity it
// seals, seen through Decrypt; encrypting the decrypted text again changes
// nothing.
func TestBindingPlacement(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	const data = "data:\n  a: dg==\n"
	tests := []struct {
		name, in, want string
	}{
		{"no namespace", "kind: Secret\nmetadata:\n  name: db\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  annotations:\n    seal.dev/sealed-for: Secret//db\n" + data},
		{"no metadata", "kind: Secret\n" + data,
			"kind: Secret\n" + data + "metadata:\n  annotations:\n    seal.dev/sealed-for: Secret//\n"},
		{"null metadata", "kind: Secret\nmetadata:\n" + data,
			"kind: Secret\nmetadata:\n  annotations:\n    seal.dev/sealed-for: Secret//\n" + data},
		{"null annotations", "kind: Secret\nmetadata:\n  name: db\n  annotations:\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  annotations:\n    seal.dev/sealed-for: Secret//db\n" + data},
		{"after the other annotations", "kind: Secret\nmetadata:\n  annotations:\n    a: b\n  name: db\n" + data,
			"kind: Secret\nmetadata:\n  annotations:\n    a: b\n    seal.dev/sealed-for: Secret//db\n  name: db\n" + data},
		{"a stale binding replaced where it is", "kind: Secret\nmetadata:\n  name: db\n  namespace: prod\n  annotations:\n    seal.dev/sealed-for: Secret/dev/db # old\n    a: b\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  namespace: prod\n  annotations:\n    seal.dev/sealed-for: Secret/prod/db # old\n    a: b\n" + data},
		{"flow style", "kind: Secret\nmetadata: {name: db, namespace: prod}\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  namespace: prod\n  annotations:\n    seal.dev/sealed-for: Secret/prod/db\n" + data},
		{"slash and percent escaped", "kind: Secret\nmetadata:\n  name: a/b%c\n  namespace: ns\n" + data,
			"kind: Secret\nmetadata:\n  name: a/b%c\n  namespace: ns\n  annotations:\n    seal.dev/sealed-for: Secret/ns/a%2Fb%25c\n" + data},
		{"a name that is not a string", "kind: Secret\nmetadata:\n  name: 123\n" + data,
			"kind: Secret\nmetadata:\n  name: 123\n  annotations:\n    seal.dev/sealed-for: Secret//%!scalar\n" + data},
		{"a name that is a float, read back as an int", "kind: Secret\nmetadata:\n  name: 1e3\n" + data,
			"kind: Secret\nmetadata:\n  name: 1000\n  annotations:\n    seal.dev/sealed-for: Secret//%!scalar\n" + data},
		{"a name that is a date", "kind: Secret\nmetadata:\n  name: 2001-01-01\n" + data,
			"kind: Secret\nmetadata:\n  name: 2001-01-01T00:00:00Z\n  annotations:\n    seal.dev/sealed-for: Secret//%!scalar\n" + data},
		{"a namespace that is a list", "kind: Secret\nmetadata:\n  name: db\n  namespace: [a]\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  namespace:\n    - a\n  annotations:\n    seal.dev/sealed-for: Secret/%!list/db\n" + data},
		{"a namespace that is a mapping", "kind: Secret\nmetadata:\n  name: db\n  namespace: {a: b}\n" + data,
			"kind: Secret\nmetadata:\n  name: db\n  namespace:\n    a: b\n  annotations:\n    seal.dev/sealed-for: Secret/%!map/db\n" + data},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := Encrypt("s.yaml", []byte(tt.in), EncryptOptions{Recipients: recipientsOf(xa)})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(bindingRe.FindAllString(string(enc), -1)); n != 1 {
				t.Errorf("%d encrypted bindings, want 1:\n%s", n, mask(enc))
			}
			d, err := Decrypt("s.yaml", enc, idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, err := Encrypt("s.yaml", d.Plaintext, EncryptOptions{Recipients: recipientsOf(xa)})
			if err != nil {
				t.Fatal(err)
			}
			if d2, err := Decrypt("s.yaml", again, idsOf(xa)); err != nil || string(d2.Plaintext) != tt.want {
				t.Errorf("encrypting the decrypted text again: %v\n%s", err, d2.Plaintext)
			}
		})
	}
}

func TestBindingPlacementErrors(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	tests := []struct {
		name, in, msg string
	}{
		{"metadata a string", "kind: Secret\nmetadata: correct-horse-battery-staple\ndata:\n  a: dg==\n", "document 1: its metadata is not a mapping"},
		{"annotations a list", "kind: Secret\nmetadata:\n  annotations: [correct-horse-battery-staple]\ndata:\n  a: dg==\n", "document 1: its metadata.annotations is not a mapping"},
		{"second document", "kind: Secret\ndata:\n  a: dg==\n---\nkind: Secret\nmetadata:\n  annotations: x\n", "document 2: its metadata.annotations is not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encrypt("s.yaml", []byte(tt.in), EncryptOptions{Recipients: recipientsOf(xa)})
			checkErr(t, err, ErrMalformed, "s.yaml")
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestBoundRegex(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{DefaultEncryptedRegex, BoundEncryptedRegex, true},
		{BoundEncryptedRegex, BoundEncryptedRegex, true},
		{"^stringData$", `^(stringData|seal\.dev/sealed-for)$`, true},
		{`^(data|stringData|tls\.key)$`, `^(data|stringData|tls\.key|seal\.dev/sealed-for)$`, true},
		{"^(data)$", `^(data|seal\.dev/sealed-for)$`, true},
		// Not a plain list of keys: wrapped, so its meaning is kept.
		{"^data|stringData$", `(?:^data|stringData$)|^seal\.dev/sealed-for$`, true},
		{"(?i)^DATA$", `(?:(?i)^DATA$)|^seal\.dev/sealed-for$`, true},
		{"^(data|string.*)$", `(?:^(data|string.*)$)|^seal\.dev/sealed-for$`, true},
		// Already covering the binding's path: kept as it is.
		{"^(metadata|data)$", "^(metadata|data)$", true},
		{"annotations", "annotations", true},
		{"sealed", "sealed", true},
		{".*", ".*", true},
		// An unterminated \Q quote swallows the wrapping.
		{`^data\Q$`, `(?:^data\Q$)|^seal\.dev/sealed-for$`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := boundRegex(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("boundRegex(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
			if !ok {
				return
			}
			// The extension adds the binding key and nothing else.
			orig, ext := regexp.MustCompile(tt.in), regexp.MustCompile(got)
			for _, k := range []string{"data", "stringData", "DATA", "metadata", "annotations", "name", "tls.key", "tlsxkey", "stringDatum", "seal.dev/sealed-fox", "x-seal.dev/sealed-for"} {
				if orig.MatchString(k) != ext.MatchString(k) {
					t.Errorf("%q: %q matches %v, %q matches %v", k, tt.in, orig.MatchString(k), got, ext.MatchString(k))
				}
			}
			if !(rules{encRe: ext}).encrypted(bindingPath) {
				t.Errorf("%q does not encrypt the binding", got)
			}
		})
	}
	_, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(loadKey(t, "x25519-a")), EncryptedRegex: `^data\Q$`})
	checkErr(t, err, ErrInvalidOptions, "s.yaml")
}

// TestBindingUnbound: which documents Decrypt and Inspect report unbound.
func TestBindingUnbound(t *testing.T) {
	xa, ha := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")
	ours, err := Encrypt("m.yaml", readFile(t, "testdata/plain/multi.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		data       []byte
		decrypted  []int
		inspected  []int
	}{
		{"ours", "m.yaml", ours, nil, nil},
		{"sops, two Secrets", "m.yaml", readFile(t, "testdata/sops/mixed-multi.yaml"), []int{0, 1}, []int{0, 1}},
		// Everything encrypted, the kind too: Inspect cannot tell.
		{"sops, default rules", "d.yaml", readFile(t, "testdata/sops/default-rules.yaml"), []int{0}, []int{0}},
		{"sops, dotenv", "app.env", readFile(t, "testdata/sops/app.env"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decrypt(tt.file, tt.data, idsOf(xa, ha))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.decrypted, d.Unbound); diff != "" {
				t.Errorf("Decrypted.Unbound (-want +got):\n%s", diff)
			}
			m, err := Inspect(tt.file, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.inspected, m.Unbound); diff != "" {
				t.Errorf("Metadata.Unbound (-want +got):\n%s", diff)
			}
		})
	}
}
