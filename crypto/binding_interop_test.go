package crypto

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBindingSOPSRewrites: what the sops CLI's own commands do to a file
// Encrypt wrote. The binding stays encrypted and valid through set,
// updatekeys and rotate; a Secret renamed with sops keeps its old binding,
// so Decrypt refuses the file.
func TestBindingSOPSRewrites(t *testing.T) {
	sops := sopsPath(t)
	xa, ha, xb := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a"), loadKey(t, "x25519-b")
	plain := readFile(t, "testdata/plain/multi.yaml")
	bound := string(boundPlain(t, "multi.yaml"))
	tests := []struct {
		name string
		args []string // sops arguments; the file is f.yaml
		keys []testKey
		want string // Decrypt's plaintext; "" when it must fail
	}{
		{"set a value", []string{"set", "f.yaml", `["data"]["stripe"]`, `"bmV3"`}, []testKey{xa},
			strings.Replace(bound, "stripe: c2tfbGl2ZV9hYmNkZWY=", "stripe: bmV3", 1)},
		{"set a label", []string{"set", "f.yaml", `["metadata"]["labels"]`, `{"team": "shop"}`}, []testKey{xa},
			strings.Replace(bound, "    seal.dev/sealed-for: Secret/shop/api-keys\n", "    seal.dev/sealed-for: Secret/shop/api-keys\n  labels:\n    team: shop\n", 1)},
		{"updatekeys", []string{"updatekeys", "-y", "f.yaml"}, []testKey{xb}, bound},
		{"rotate", []string{"rotate", "-i", "f.yaml"}, []testKey{ha}, bound},
		{"rename the Secret", []string{"set", "f.yaml", `["metadata"]["name"]`, `"other"`}, []testKey{xa}, ""},
		{"move it to another namespace", []string{"set", "f.yaml", `["metadata"]["namespace"]`, `"kube-system"`}, []testKey{xa}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := Encrypt("f.yaml", plain, EncryptOptions{Recipients: recipientsOf(xa, ha)})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "f.yaml"), enc)
			// For updatekeys: the rule replaces the recipients with xb.
			writeFile(t, filepath.Join(dir, ".sops.yaml"), []byte("stores:\n  yaml:\n    indent: 2\ncreation_rules:\n  - encrypted_regex: "+BoundEncryptedRegex+"\n    age: "+xb.recipient+"\n"))
			if _, err := sopsCLI(t, sops, dir, []testKey{xa, ha}, append([]string{"--indent", "2"}, tt.args...)...); err != nil {
				t.Fatal(err)
			}
			out := readFile(t, filepath.Join(dir, "f.yaml"))
			if n := len(bindingRe.FindAllString(string(out), -1)); n != 2 {
				t.Errorf("%d encrypted bindings after sops, want 2", n)
			}
			d, err := Decrypt("f.yaml", out, idsOf(tt.keys...))
			if tt.want == "" {
				checkErr(t, err, ErrIdentityMismatch, "f.yaml")
				if !strings.Contains(err.Error(), "document 1 was sealed as Secret/shop/api-keys") {
					t.Errorf("error does not name the document and its sealed identity: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if d.Unbound != nil {
				t.Errorf("Unbound = %v", d.Unbound)
			}
		})
	}
}

// TestBindingSOPSEncrypt: the sops CLI encrypting a text that carries the
// binding (as `sops decrypt` prints it). With a rule that encrypts the
// annotation the binding is valid; with the data-and-stringData rule it
// stays plaintext, and Decrypt refuses the file (FindPlaintext says why).
func TestBindingSOPSEncrypt(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	tests := []struct {
		regex string
		want  error
	}{
		{BoundEncryptedRegex, nil},
		{DefaultEncryptedRegex, ErrIdentityMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.regex, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "multi.yaml"), boundPlain(t, "multi.yaml"))
			enc, err := sopsCLI(t, sops, dir, nil, "--indent", "2", "encrypt", "--age", xa.recipient, "--encrypted-regex", tt.regex, "multi.yaml")
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decrypt("multi.yaml", enc, idsOf(xa))
			fs, ferr := FindPlaintext("multi.yaml", enc)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if tt.want == nil {
				if err != nil || d.Unbound != nil || string(d.Plaintext) != string(boundPlain(t, "multi.yaml")) {
					t.Fatalf("Decrypt: %v, %+v", err, d)
				}
				if fs != nil {
					t.Errorf("findings %+v", fs)
				}
				return
			}
			checkErr(t, err, tt.want, "multi.yaml")
			want := []Finding{
				{Line: 7, Document: 0, Path: "metadata.annotations.seal.dev/sealed-for", Problem: ProblemBindingNotEncrypted},
				{Line: 34, Document: 1, Path: "metadata.annotations.seal.dev/sealed-for", Problem: ProblemBindingNotEncrypted},
			}
			if diff := cmp.Diff(want, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBindingCustomRegex: files encrypted with other rules seal the
// identity too, and sops decrypts them to what Decrypt returns.
func TestBindingCustomRegex(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	for _, re := range []string{"^stringData$", "(?i)^STRINGDATA$", "^(metadata|data)$", "^(stringData|tls\\.key)$"} {
		t.Run(re, func(t *testing.T) {
			enc, err := Encrypt("multi.yaml", readFile(t, "testdata/plain/multi.yaml"), EncryptOptions{Recipients: recipientsOf(xa), EncryptedRegex: re})
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decrypt("multi.yaml", enc, idsOf(xa))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(boundPlain(t, "multi.yaml")), string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(string(enc), "sealed-for: Secret/") {
				t.Error("the binding is in plaintext")
			}
			if fs, err := FindPlaintext("multi.yaml", enc); err != nil || fs != nil {
				t.Errorf("FindPlaintext: %+v, %v", fs, err)
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "multi.yaml"), enc)
			got, err := sopsCLI(t, sops, dir, []testKey{xa}, "--indent", "2", "decrypt", "multi.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(d.Plaintext), string(got)); diff != "" {
				t.Errorf("sops decrypt (-ours +sops):\n%s", diff)
			}
		})
	}
}
