package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seal-gitops/seal/keys"
)

var (
	keygenSecretRe    = regexp.MustCompile(`AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+`)
	keygenRecipientRe = regexp.MustCompile(`age1(pq1)?[0-9a-z]+`)
)

// keygenScrub replaces keys with placeholders that keep their kind.
func keygenScrub(s string) string {
	s = keygenSecretRe.ReplaceAllString(s, "AGE-SECRET-KEY-${1}1…")
	return keygenRecipientRe.ReplaceAllString(s, "age1${1}…")
}

// keygenParse parses an identity file and checks it holds one key of kind.
func keygenParse(t *testing.T, data string, kind keys.Kind) *keys.Identity {
	t.Helper()
	ring, err := keys.ParseIdentities("key", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	ids := ring.Identities()
	if len(ids) != 1 || ids[0].Kind() != kind {
		t.Fatalf("got %v, want one %v identity", ring, kind)
	}
	return ids[0]
}

func TestKeygen(t *testing.T) {
	tests := []struct {
		name string
		args []string
		kind keys.Kind
	}{
		{"stdout", []string{"keygen"}, keys.Hybrid},
		{"stdout-x25519", []string{"keygen", "--x25519"}, keys.X25519},
		{"file", []string{"keygen", "-o", "key.txt"}, keys.Hybrid},
		{"file-x25519", []string{"keygen", "--x25519", "--output=sub/dir/key.txt"}, keys.X25519},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := runSeal(t, dir, nil, "", tt.args...)
			if r.Code != ExitOK {
				t.Fatalf("exit %d: %s", r.Code, cryptRedact(r.Stderr))
			}
			out := cryptTranscript(tt.args, r, keygenScrub)
			var id *keys.Identity
			if !strings.Contains(strings.Join(tt.args, " "), "-o") {
				id = keygenParse(t, r.Stdout, tt.kind)
				if want := "Public key: " + id.Recipient() + "\n"; r.Stderr != want {
					t.Errorf("stderr %q, want %q", r.Stderr, want)
				}
			} else {
				name := map[string]string{"file": "key.txt", "file-x25519": "sub/dir/key.txt"}[tt.name]
				path := filepath.Join(dir, name)
				data := cryptRead(t, path)
				id = keygenParse(t, data, tt.kind)
				if r.Stdout != id.Recipient()+"\n" {
					t.Errorf("stdout %q, want the recipient alone", cryptRedact(r.Stdout))
				}
				if keygenSecretRe.MatchString(r.Stdout + r.Stderr) {
					t.Error("the private key was printed")
				}
				cryptAssertMode(t, path, 0o600)
				if strings.Contains(name, "/") {
					cryptAssertMode(t, filepath.Dir(path), 0o700)
				}
				out += "--- " + name + "\n" + keygenScrub(data)
			}
			golden(t, "keygen-"+tt.name+".txt", out)
		})
	}
}

func cryptAssertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func TestKeygenNeverOverwritesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.txt")
	const old = "# an old key\n"
	cryptWrite(t, path, old) // mode 0644

	r := runSeal(t, dir, nil, "", "keygen", "-o", "key.txt")
	want := cliRun{Code: ExitFailure, Stderr: "seal: error: key.txt: already exists; refusing to overwrite it (it may hold the only copy of a private key)\n" +
		"seal: hint: choose another file, or pass --force to replace it (files encrypted only for the old key can then no longer be decrypted)\n"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cryptRead(t, path) != old {
		t.Fatal("key.txt was overwritten")
	}

	r = runSeal(t, dir, nil, "", "keygen", "-o", "key.txt", "--force")
	if r.Code != ExitOK {
		t.Fatalf("--force: exit %d: %s", r.Code, cryptRedact(r.Stderr))
	}
	id := keygenParse(t, cryptRead(t, path), keys.Hybrid)
	if r.Stdout != id.Recipient()+"\n" {
		t.Errorf("stdout %q, want the new recipient", cryptRedact(r.Stdout))
	}
	cryptAssertMode(t, path, 0o600) // not the old file's 0644
}

func TestKeygenErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"force without output", []string{"keygen", "--force"}, ExitUsage},
		{"argument", []string{"keygen", "key.txt"}, ExitUsage},
		{"directory", []string{"keygen", "-o", "keys"}, ExitFailure},
		{"unknown flag", []string{"keygen", "--pq"}, ExitUsage},
	}
	var transcript strings.Builder
	for _, tt := range tests {
		r := runSeal(t, dir, nil, "", tt.args...)
		if r.Code != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.name, r.Code, tt.code)
		}
		if r.Stdout != "" || keygenSecretRe.MatchString(r.Stderr) {
			t.Errorf("%s: printed a key", tt.name)
		}
		transcript.WriteString("# " + tt.name + "\n" + cryptTranscript(tt.args, r, keygenScrub) + "\n")
	}
	golden(t, "keygen-errors.txt", transcript.String())
	if entries, _ := os.ReadDir(filepath.Join(dir, "keys")); len(entries) != 0 {
		t.Errorf("keygen wrote into the directory: %v", entries)
	}
}

func TestCryptHelp(t *testing.T) {
	for _, cmd := range []string{"keygen", "encrypt", "decrypt", "edit"} {
		t.Run(cmd, func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", cmd, "--help")
			if r.Code != ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d: %s", r.Code, cryptRedact(r.Stderr))
			}
			golden(t, cmd+"-help.txt", cryptRedact(r.Stdout))
		})
	}
}
