package crypto

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sopsFixture is a file in testdata/sops written by the real sops CLI (go
// test -update rewrites them); the fuzz targets are seeded with them.
type sopsFixture struct {
	file, input string
	keys        []string // test key names: recipients (one group) or one group each with shamir
	args        []string // extra sops encrypt arguments
	shamir      int      // with a threshold: one key group per key
	rule        string   // extra creation rule lines for a .sops.yaml
}

var sopsFixtures = []sopsFixture{
	{file: "x25519.yaml", input: "secret.yaml", keys: []string{"x25519-a"}, args: []string{"--encrypted-regex", DefaultEncryptedRegex}},
	{file: "mixed-multi.yaml", input: "multi.yaml", keys: []string{"x25519-a", "hybrid-a"}, args: []string{"--encrypted-regex", DefaultEncryptedRegex}},
	{file: "hybrid.json", input: "secret.json", keys: []string{"hybrid-a"}, args: []string{"--encrypted-regex", DefaultEncryptedRegex}},
	{file: "default-rules.yaml", input: "secret.yaml", keys: []string{"x25519-a"}},
	{file: "app.env", input: "app.env", keys: []string{"x25519-a", "hybrid-a"}},
	{file: "shamir-2of2.yaml", input: "secret.yaml", keys: []string{"x25519-a", "hybrid-a"}, shamir: 2},
	{file: "shamir-2of3.yaml", input: "multi.yaml", keys: []string{"hybrid-a", "x25519-a", "hybrid-b"}, shamir: 2},
	{file: "mac-only.yaml", input: "secret.yaml", keys: []string{"x25519-a"}, rule: "    mac_only_encrypted: true\n"},
}

// makeFixture encrypts the fixture's input with the sops CLI.
func makeFixture(t *testing.T, sops string, f sopsFixture) []byte {
	dir := t.TempDir()
	src := "in" + filepath.Ext(f.file)
	writeFile(t, filepath.Join(dir, src), readFile(t, filepath.Join("testdata", "plain", f.input)))
	var keys []testKey
	for _, n := range f.keys {
		keys = append(keys, loadKey(t, n))
	}
	args := []string{"encrypt"}
	switch {
	case f.shamir > 0:
		var cfg strings.Builder
		cfg.WriteString("creation_rules:\n  - encrypted_regex: " + DefaultEncryptedRegex + "\n    shamir_threshold: " + itoa(f.shamir) + "\n    key_groups:\n")
		for _, k := range keys {
			cfg.WriteString("      - age: [" + k.recipient + "]\n")
		}
		writeFile(t, filepath.Join(dir, "sops.yaml"), []byte(cfg.String()))
		args = append([]string{"--config", "sops.yaml"}, args...)
	case f.rule != "":
		cfg := "creation_rules:\n  - encrypted_regex: " + DefaultEncryptedRegex + "\n    age: " + strings.Join(recipientsOf(keys...), ",") + "\n" + f.rule
		writeFile(t, filepath.Join(dir, "sops.yaml"), []byte(cfg))
		args = append([]string{"--config", "sops.yaml"}, args...)
	default:
		args = append(args, "--age", strings.Join(recipientsOf(keys...), ","))
	}
	out, err := sopsCLI(t, sops, dir, keys, append(append(args, f.args...), src)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSOPSFixtures checks the sops-made fixtures: each decrypts with Decrypt
// exactly as `sops decrypt` prints it, with every key that can open it.
func TestSOPSFixtures(t *testing.T) {
	sops := sopsPath(t)
	for _, f := range sopsFixtures {
		t.Run(f.file, func(t *testing.T) {
			path := filepath.Join("testdata", "sops", f.file)
			if *update {
				writeFile(t, path, makeFixture(t, sops, f))
			}
			data := readFile(t, path)
			var keys []testKey
			for _, n := range f.keys {
				keys = append(keys, loadKey(t, n))
			}
			want, err := sopsCLI(t, sops, filepath.Dir(path), keys, "decrypt", f.file)
			if err != nil {
				t.Fatal(err)
			}
			if f.file == "mac-only.yaml" {
				_, err := Decrypt(f.file, data, idsOf(keys...))
				checkErr(t, err, ErrUnsupported, f.file)
				return
			}
			if f.shamir > 0 {
				_, err := Decrypt(f.file, data, idsOf(keys[1:f.shamir]...))
				checkErr(t, err, ErrNoMatchingIdentity, f.file)
				note := "it needs " + itoa(f.shamir) + " of its " + itoa(len(keys)) + " Shamir key groups; the identities given open " + itoa(f.shamir-1)
				if !strings.Contains(err.Error(), note) {
					t.Errorf("error does not explain the Shamir threshold: %v", err)
				}
				for _, ks := range [][]testKey{keys, keys[len(keys)-f.shamir:]} {
					d, err := Decrypt(f.file, data, idsOf(ks...))
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(string(want), string(d.Plaintext)); diff != "" {
						t.Errorf("(-sops +ours):\n%s", diff)
					}
				}
				// Reencrypt keeps the key groups: sops still needs the threshold.
				edited := strings.Replace(string(want), "stringData:\n", "stringData:\n    added: by-reencrypt\n", 1)
				out, err := Reencrypt(f.file, data, []byte(edited), idsOf(keys[:f.shamir]...))
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				writeFile(t, filepath.Join(dir, f.file), out)
				got, err := sopsCLI(t, sops, dir, keys[:f.shamir], "decrypt", f.file)
				if err != nil {
					t.Fatal(err)
				}
				// The edit bound the sops-made file's Secrets.
				d, err := Decrypt(f.file, out, idsOf(keys[:f.shamir]...))
				if err != nil || d.Unbound != nil {
					t.Fatalf("Decrypt after Reencrypt: %v, unbound %v", err, d)
				}
				if diff := cmp.Diff(string(d.Plaintext), string(got)); diff != "" {
					t.Errorf("sops decrypt after Reencrypt (-ours +sops):\n%s", diff)
				}
				if diff := cmp.Diff(edited, stripBindings(string(got))); diff != "" {
					t.Errorf("sops decrypt after Reencrypt, bindings removed (-want +got):\n%s", diff)
				}
				if _, err := sopsCLI(t, sops, dir, keys[1:f.shamir], "decrypt", f.file); err == nil {
					t.Error("sops decrypted with fewer key groups than the threshold")
				}
				return
			}
			for _, k := range keys {
				d, err := Decrypt(f.file, data, idsOf(k))
				if err != nil {
					t.Fatalf("with %s: %v", k.name, err)
				}
				if diff := cmp.Diff(string(want), string(d.Plaintext)); diff != "" {
					t.Errorf("with %s (-sops +ours):\n%s", k.name, diff)
				}
				if formatFor(f.file) != formatDotenv && len(d.Unbound) == 0 {
					t.Errorf("with %s: the sops-made file's Secrets are not reported unbound", k.name)
				}
			}
		})
	}
}

// TestSOPSFixtureKeys checks what a stranger's key and a rotation do with
// the sops-made files.
func TestSOPSFixtureKeys(t *testing.T) {
	stranger := loadKey(t, "x25519-b")
	for _, f := range sopsFixtures {
		data := readFile(t, filepath.Join("testdata", "sops", f.file))
		_, err := Decrypt(f.file, data, idsOf(stranger))
		if f.file == "mac-only.yaml" {
			checkErr(t, err, ErrUnsupported, f.file)
			continue
		}
		checkErr(t, err, ErrNoMatchingIdentity, f.file)
		for _, n := range f.keys {
			if !strings.Contains(err.Error(), ShortRecipient(loadKey(t, n).recipient)) {
				t.Errorf("%s: the error does not name recipient %s: %v", f.file, n, err)
			}
		}
		_, _, err = Rewrap(f.file, data, idsOf(loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")), recipientsOf(stranger), false)
		if f.shamir > 0 && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Rewrap of a Shamir file: %v, want ErrUnsupported", f.file, err)
		}
		if f.shamir == 0 && err != nil {
			t.Errorf("%s: Rewrap: %v", f.file, err)
		}
	}
}
