package crypto

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// interopKeySets are the recipient sets the interop tests cover: one and
// several recipients, X25519, post-quantum hybrid and both mixed.
func interopKeySets(t *testing.T) map[string][]testKey {
	xa, xb, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	return map[string][]testKey{
		"x25519":        {xa},
		"hybrid":        {ha},
		"x25519+x25519": {xa, xb},
		"hybrid+hybrid": {ha, hb},
		"mixed":         {xa, ha, xb, hb},
	}
}

// interopInputs are the plaintext inputs with the indentation sops must be
// told to print them with.
var interopInputs = []struct {
	file   string
	indent int
}{
	{"secret.yaml", 2}, // one document, comments
	{"multi.yaml", 2},  // two documents
	{"indent4.yaml", 4},
	{"secret.json", 2},
}

// TestInteropOursToSOPS: files written by Encrypt decrypt with `sops decrypt`
// using any one recipient's identity, to the exact input.
func TestInteropOursToSOPS(t *testing.T) {
	sops := sopsPath(t)
	for setName, keys := range interopKeySets(t) {
		for _, in := range interopInputs {
			t.Run(setName+"/"+in.file, func(t *testing.T) {
				t.Parallel()
				plain := readFile(t, filepath.Join("testdata", "plain", in.file))
				if diff := cmp.Diff(string(plain), stripBindings(string(boundPlain(t, in.file)))); diff != "" && in.file != "secret.json" {
					t.Fatalf("testdata/bound/%s is not testdata/plain/%s with bindings added:\n%s", in.file, in.file, diff)
				}
				enc, err := Encrypt(in.file, plain, EncryptOptions{Recipients: recipientsOf(keys...)})
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, in.file), enc)
				for _, k := range keys {
					got, err := sopsCLI(t, sops, dir, []testKey{k}, "--indent", strconv.Itoa(in.indent), "decrypt", in.file)
					if err != nil {
						t.Fatalf("sops decrypt with %s: %v", k.name, err)
					}
					if diff := cmp.Diff(string(boundPlain(t, in.file)), string(got)); diff != "" {
						t.Errorf("sops decrypt with %s differs from the input with its bindings (-want +got):\n%s", k.name, diff)
					}
				}
			})
		}
	}
}

// TestInteropSOPSToOurs: files written by `sops encrypt --age …
// --encrypted-regex '^(data|stringData)$'` decrypt with Decrypt using any one
// recipient's identity, exactly as `sops decrypt` prints them.
func TestInteropSOPSToOurs(t *testing.T) {
	sops := sopsPath(t)
	for setName, keys := range interopKeySets(t) {
		for _, in := range interopInputs {
			t.Run(setName+"/"+in.file, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, in.file), readFile(t, filepath.Join("testdata", "plain", in.file)))
				enc, err := sopsCLI(t, sops, dir, keys, "encrypt", "--age", strings.Join(recipientsOf(keys...), ","),
					"--encrypted-regex", DefaultEncryptedRegex, in.file)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(dir, "enc-"+in.file), enc)
				want, err := sopsCLI(t, sops, dir, keys[:1], "decrypt", "enc-"+in.file)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					d, err := Decrypt(in.file, enc, idsOf(k))
					if err != nil {
						t.Fatalf("Decrypt with %s: %v", k.name, err)
					}
					if diff := cmp.Diff(string(want), string(d.Plaintext)); diff != "" {
						t.Errorf("Decrypt with %s differs from sops decrypt (-want +got):\n%s", k.name, diff)
					}
					wantUnbound := []int{0} // sops seals no identity
					if in.file == "multi.yaml" {
						wantUnbound = []int{0, 1}
					}
					if diff := cmp.Diff(wantUnbound, d.Unbound); diff != "" {
						t.Errorf("Unbound (-want +got):\n%s", diff)
					}
					if d, err := Decrypt(in.file, enc, idsOf(keys...)); err != nil || d.Identity != 0 {
						t.Errorf("Decrypt with all identities: %v, %v; want identity 0", d, err)
					}
				}
			})
		}
	}
}

// TestInteropRewrite: files rewritten by Reencrypt and Rewrap (starting from
// a sops-made file) still decrypt with sops, and sops's own rewrites of our
// files decrypt with Decrypt.
func TestInteropRewrite(t *testing.T) {
	sops := sopsPath(t)
	xa, xb, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "multi.yaml"), readFile(t, "testdata/plain/multi.yaml"))
	enc, err := sopsCLI(t, sops, dir, nil, "--indent", "2", "encrypt", "--age", xa.recipient+","+ha.recipient,
		"--encrypted-regex", DefaultEncryptedRegex, "multi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain := string(readFile(t, "testdata/plain/multi.yaml"))

	edited := strings.Replace(plain, "tls.crt: not-a-real-certificate", "tls.crt: an-edited-certificate", 1)
	// The edit binds the sops-made file's Secrets.
	result := strings.Replace(string(boundPlain(t, "multi.yaml")), "tls.crt: not-a-real-certificate", "tls.crt: an-edited-certificate", 1)
	reenc, err := Reencrypt("multi.yaml", enc, []byte(edited), idsOf(ha))
	if err != nil {
		t.Fatal(err)
	}
	rotated, changed, err := Rewrap("multi.yaml", reenc, idsOf(xa), recipientsOf(xb, hb), false)
	if err != nil || !changed {
		t.Fatalf("Rewrap: changed %v, %v", changed, err)
	}
	renewed, changed, err := Rewrap("multi.yaml", rotated, idsOf(hb), recipientsOf(xa, hb), true)
	if err != nil || !changed {
		t.Fatalf("Rewrap with a new data key: changed %v, %v", changed, err)
	}
	tests := []struct {
		name   string
		file   []byte
		keys   []testKey
		wrong  []testKey
		result string
	}{
		{"reencrypted", reenc, []testKey{xa, ha}, []testKey{xb}, result},
		{"rewrapped", rotated, []testKey{xb, hb}, []testKey{xa, ha}, result},
		{"new data key", renewed, []testKey{xa, hb}, []testKey{xb}, result},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, tt.name+".yaml"), tt.file)
			for _, k := range tt.keys {
				got, err := sopsCLI(t, sops, dir, []testKey{k}, "--indent", "2", "decrypt", tt.name+".yaml")
				if err != nil {
					t.Fatalf("sops decrypt with %s: %v", k.name, err)
				}
				if diff := cmp.Diff(tt.result, string(got)); diff != "" {
					t.Errorf("sops decrypt with %s (-want +got):\n%s", k.name, diff)
				}
			}
			if d, err := Decrypt(tt.name+".yaml", tt.file, idsOf(tt.keys[0])); err != nil || d.Unbound != nil {
				t.Errorf("Decrypt: %v; unbound %v", err, d)
			}
			if _, err := sopsCLI(t, sops, dir, tt.wrong, "decrypt", tt.name+".yaml"); err == nil {
				t.Errorf("sops decrypted the file with %s, which is no longer a recipient", tt.wrong[0].name)
			}
		})
	}

	t.Run("sops set on our file", func(t *testing.T) {
		ours, err := Encrypt("multi.yaml", []byte(plain), EncryptOptions{Recipients: recipientsOf(xa, ha)})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "ours.yaml"), ours)
		if _, err := sopsCLI(t, sops, dir, []testKey{ha}, "--indent", "2", "set", "ours.yaml", `["data"]["paypal"]`, `"bmV3LXZhbHVl"`); err != nil {
			t.Fatal(err)
		}
		d, err := Decrypt("ours.yaml", readFile(t, filepath.Join(dir, "ours.yaml")), idsOf(xa))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(string(boundPlain(t, "multi.yaml")), "paypal: cGF5cGFsLXNlY3JldA==", "paypal: bmV3LXZhbHVl", 1)
		if diff := cmp.Diff(want, string(d.Plaintext)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if d.Unbound != nil {
			t.Errorf("sops set unbound documents %v", d.Unbound)
		}
	})
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
