package crypto

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBindingReencryptSOPSFiles: the first real edit of a file the sops CLI
// wrote binds its Secrets when the file's rules can be made to encrypt the
// annotation, and leaves them unbound (dropping a binding typed in the
// editor) when they cannot. sops decrypts every result.
func TestBindingReencryptSOPSFiles(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	sopsMade := func(args ...string) []byte {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "s.yaml"), readFile(t, "testdata/plain/secret.yaml"))
		out, err := sopsCLI(t, sops, dir, nil, append(append([]string{"--indent", "2", "encrypt", "--age", xa.recipient}, args...), "s.yaml")...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	retype := func(s string) string { return strings.Replace(s, "type: Opaque", "type: Opaque2", 1) }
	typeBinding := func(s string) string { return afterOwner(s, "seal.dev/sealed-for: Secret/typed/by-hand") }
	tests := []struct {
		name      string
		data      []byte
		indent    string // of the file (the sops fixtures are written with sops's default, 4)
		edit      func(string) string
		regex     string // the encrypted_regex after the edit
		bound     bool
		unchanged bool
	}{
		{"encrypted_regex", readFile(t, "testdata/sops/x25519.yaml"), "4", retype, BoundEncryptedRegex, true, false},
		{"encrypted_regex, a custom one", sopsMade("--encrypted-regex", "^stringData$"), "2", retype, `^(stringData|seal\.dev/sealed-for)$`, true, false},
		{"default rules: everything encrypted", readFile(t, "testdata/sops/default-rules.yaml"), "4", retype, "", true, false},
		{"encrypted_suffix", sopsMade("--encrypted-suffix", "Data"), "2", typeBinding, "", false, false},
		{"unencrypted_regex over metadata", sopsMade("--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"), "2", typeBinding, "", false, false},
		{"unchanged: saving binds", readFile(t, "testdata/sops/x25519.yaml"), "4", func(s string) string { return s }, BoundEncryptedRegex, true, false},
		{"unchanged, rules that cannot bind", sopsMade("--encrypted-suffix", "Data"), "2", func(s string) string { return s }, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := Decrypt("s.yaml", tt.data, idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			edited := tt.edit(string(before.Plaintext))
			out, err := Reencrypt("s.yaml", tt.data, []byte(edited), idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			if tt.unchanged != bytes.Equal(out, tt.data) {
				t.Errorf("output equals the input: %v, want %v", !tt.unchanged, tt.unchanged)
			}
			d, err := Decrypt("s.yaml", out, idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			if tt.bound != (d.Unbound == nil) {
				t.Errorf("Unbound = %v, want bound %v", d.Unbound, tt.bound)
			}
			want := stripBindings(edited)
			if tt.bound {
				want = afterOwner(want, "seal.dev/sealed-for: Secret/orders/orders-db")
			}
			if diff := cmp.Diff(want, string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			m, err := Inspect("s.yaml", out)
			if err != nil {
				t.Fatal(err)
			}
			if m.EncryptedRegex != tt.regex {
				t.Errorf("encrypted_regex %q, want %q", m.EncryptedRegex, tt.regex)
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "s.yaml"), out)
			got, err := sopsCLI(t, sops, dir, []testKey{xa}, "--indent", tt.indent, "decrypt", "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(d.Plaintext), string(got)); diff != "" {
				t.Errorf("sops decrypt (-ours +sops):\n%s", diff)
			}
		})
	}
}

// TestBindingRefusedOriginal: a file whose identity does not match its
// binding is not edited or rotated (which would seal the changed identity).
func TestBindingRefusedOriginal(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	enc, err := Encrypt("t.yaml", readFile(t, "testdata/plain/twins.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(enc), "  name: db\n  namespace: prod\n", "  namespace: db\n  name: prod\n", 1))
	_, err = Reencrypt("t.yaml", tampered, boundPlain(t, "twins.yaml"), idsOf(xa))
	checkErr(t, err, ErrIdentityMismatch, "t.yaml")
	for _, newKey := range []bool{false, true} {
		_, changed, err := Rewrap("t.yaml", tampered, idsOf(xa), recipientsOf(loadKey(t, "x25519-b")), newKey)
		checkErr(t, err, ErrIdentityMismatch, "t.yaml")
		if changed {
			t.Error("changed")
		}
	}
}

// TestBindingRewrap: a new data key re-encrypts the bindings; Rewrap never
// adds one to a file that has none.
func TestBindingRewrap(t *testing.T) {
	xa, ha := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")
	ours, err := Encrypt("m.yaml", readFile(t, "testdata/plain/multi.yaml"), EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		unbound []int
	}{
		{"ours", ours, nil},
		{"sops", readFile(t, "testdata/sops/mixed-multi.yaml"), []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bindingRe.FindAllString(string(tt.data), -1)
			for _, newKey := range []bool{false, true} {
				out, _, err := Rewrap("m.yaml", tt.data, idsOf(xa), recipientsOf(ha), newKey)
				if err != nil {
					t.Fatal(err)
				}
				d, err := Decrypt("m.yaml", out, idsOf(ha))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.unbound, d.Unbound); diff != "" {
					t.Errorf("new data key %v: Unbound (-want +got):\n%s", newKey, diff)
				}
				after := bindingRe.FindAllString(string(out), -1)
				if len(after) != len(before) {
					t.Fatalf("new data key %v: %d bindings, want %d", newKey, len(after), len(before))
				}
				if newKey == slices.Equal(before, after) && len(before) > 0 {
					t.Errorf("new data key %v: binding ciphertexts kept: %v", newKey, !newKey)
				}
			}
		})
	}
}

func TestBindingFindPlaintext(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	enc, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	binding := bindingRe.FindStringSubmatch(string(enc))[1]
	const owner = "        owner: team-orders\n"
	sopsMade := string(readFile(t, "testdata/sops/x25519.yaml"))
	tests := []struct {
		name, data string
		want       []Finding
	}{
		{"ours", string(enc), nil},
		{"ours, the binding in plaintext", strings.Replace(string(enc), binding, "Secret/orders/orders-db", 1), []Finding{
			{Line: 11, Document: 0, Path: bindingDisplay, Problem: ProblemNotEncrypted},
		}},
		{"ours, the binding emptied", strings.Replace(string(enc), binding, `""`, 1), []Finding{
			{Line: 11, Document: 0, Path: bindingDisplay, Problem: ProblemBindingNotEncrypted},
		}},
		{"ours, a data value and the binding emptied", strings.Replace(strings.Replace(string(enc), binding, `""`, 1), "  token: ENC", "  token: x", 1), []Finding{
			{Line: 11, Document: 0, Path: bindingDisplay, Problem: ProblemBindingNotEncrypted},
			{Line: 19, Document: 0, Path: "data.token", Problem: ProblemNotEncrypted},
		}},
		{"sops, no binding", sopsMade, nil},
		{"sops, a plaintext binding", strings.Replace(sopsMade, owner, owner+"        seal.dev/sealed-for: Secret/orders/orders-db\n", 1), []Finding{
			{Line: 11, Document: 0, Path: bindingDisplay, Problem: ProblemBindingNotEncrypted},
		}},
		{"sops, a null binding", strings.Replace(sopsMade, owner, owner+"        seal.dev/sealed-for:\n", 1), []Finding{
			{Line: 11, Document: 0, Path: bindingDisplay, Problem: ProblemBindingNotEncrypted},
		}},
		{"plaintext file with a binding", string(boundPlain(t, "secret.yaml")), []Finding{
			{Line: 15, Document: 0, Path: "stringData.username", Problem: ProblemPlaintext},
			{Line: 16, Document: 0, Path: "stringData.password", Problem: ProblemPlaintext},
			{Line: 19, Document: 0, Path: "data.token", Problem: ProblemPlaintext},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindPlaintext("s.yaml", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

var ownerRe = regexp.MustCompile(`(?m)^( +)owner: team-orders\n`)

// afterOwner inserts line after the owner annotation, indented like it.
func afterOwner(s, line string) string {
	m := ownerRe.FindStringSubmatchIndex(s)
	return s[:m[1]] + s[m[2]:m[3]] + line + "\n" + s[m[1]:]
}
