package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// decryptSetup is a directory with secret.yaml encrypted for A, and the
// identity files of A and of B (not a recipient) under keys/.
func decryptSetup(t *testing.T) (dir string, a, b *cryptKey) {
	t.Helper()
	dir = t.TempDir()
	a = newCryptKey(t, filepath.Join(dir, "keys"), "A", keys.Hybrid)
	b = newCryptKey(t, filepath.Join(dir, "keys"), "B", keys.X25519)
	cryptWrite(t, filepath.Join(dir, "secret.yaml"), cryptEncrypt(t, "secret.yaml", cryptTwoSecrets, a))
	return dir, a, b
}

func TestDecrypt(t *testing.T) {
	dir, a, _ := decryptSetup(t)
	enc := cryptRead(t, filepath.Join(dir, "secret.yaml"))
	cryptWrite(t, filepath.Join(dir, "xdg", "sops", "age", "keys.txt"), cryptRead(t, a.file))
	cryptWrite(t, filepath.Join(dir, "home", ".config", "sops", "age", "keys.txt"), cryptRead(t, a.file))
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		stdin string
	}{
		{name: "identity flag", args: []string{"decrypt", "--identity", "keys/A.txt", "secret.yaml"}},
		{name: "second identity opens it", args: []string{"decrypt", "--identity", "keys/B.txt", "--identity", a.file, "secret.yaml"}},
		{name: "SOPS_AGE_KEY_FILE", env: map[string]string{"SOPS_AGE_KEY_FILE": "keys/A.txt"}, args: []string{"decrypt", "secret.yaml"}},
		{name: "SOPS_AGE_KEY", env: map[string]string{"SOPS_AGE_KEY": cryptRead(t, a.file)}, args: []string{"decrypt", "secret.yaml"}},
		{name: "env after a wrong key file", env: map[string]string{"SOPS_AGE_KEY_FILE": "keys/B.txt", "SOPS_AGE_KEY": cryptRead(t, a.file)}, args: []string{"decrypt", "secret.yaml"}},
		{name: "XDG keys.txt", env: map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "xdg")}, args: []string{"decrypt", "secret.yaml"}},
		{name: "HOME keys.txt", env: map[string]string{"HOME": filepath.Join(dir, "home")}, args: []string{"decrypt", "secret.yaml"}},
		{name: "SEAL_AGE_KEY_FILE before SOPS_AGE_KEY_FILE", env: map[string]string{"SEAL_AGE_KEY_FILE": "keys/A.txt", "SOPS_AGE_KEY_FILE": "keys/B.txt"}, args: []string{"decrypt", "secret.yaml"}},
		{name: "--identity before SEAL_AGE_KEY_FILE", env: map[string]string{"SEAL_AGE_KEY_FILE": "keys/B.txt"}, args: []string{"decrypt", "--identity", "keys/A.txt", "secret.yaml"}},
		{name: "--identity wins over the environment", env: map[string]string{"SOPS_AGE_KEY_FILE": "keys/B.txt"}, args: []string{"decrypt", "--identity", "keys/A.txt", "secret.yaml"}},
		{name: "stdin", args: []string{"decrypt", "--identity", "keys/A.txt", "-"}, stdin: enc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, dir, tt.env, tt.stdin, tt.args...)
			if diff := cryptDiff(cliRun{Stdout: cryptTwoSecretsSealed}, r); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecryptErrors(t *testing.T) {
	dir, a, b := decryptSetup(t)
	enc := cryptRead(t, filepath.Join(dir, "secret.yaml"))
	cryptWrite(t, filepath.Join(dir, "tampered.yaml"), strings.Replace(enc, "name: api", "name: apx", 1))
	cryptWrite(t, filepath.Join(dir, "plain.yaml"), cryptTwoSecrets)
	cryptWrite(t, filepath.Join(dir, "keys", "bad.txt"), "not a key\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{name: "wrong identity", args: []string{"decrypt", "--identity", "keys/B.txt", "secret.yaml"}, code: ExitFailure,
			want: []string{"encrypted for " + crypto.ShortRecipient(a.recipient()), "tried are for " + b.recipient(), "--identity FILE"}},
		{name: "SEAL_AGE_KEY_FILE alone", env: map[string]string{"SEAL_AGE_KEY_FILE": "keys/B.txt", "SOPS_AGE_KEY_FILE": "keys/A.txt"}, args: []string{"decrypt", "secret.yaml"}, code: ExitFailure,
			want: []string{"tried are for " + b.recipient()}},
		{name: "SEAL_AGE_KEY_FILE missing", env: map[string]string{"SEAL_AGE_KEY_FILE": "keys/nothere.txt"}, args: []string{"decrypt", "secret.yaml"}, code: ExitFailure,
			want: []string{"keys/nothere.txt (from SEAL_AGE_KEY_FILE): reading identity file", "unset it"}},
		{name: "in place from stdin", args: []string{"decrypt", "-i", "--identity", "keys/A.txt", "-"}, code: ExitUsage},
		{name: "wrong identity from the environment", env: map[string]string{"SOPS_AGE_KEY_FILE": "keys/B.txt"}, args: []string{"decrypt", "secret.yaml"}, code: ExitFailure},
		{name: "no identity anywhere", args: []string{"decrypt", "secret.yaml"}, code: ExitFailure,
			want: []string{"SOPS_AGE_KEY_FILE (not set)", "seal keygen"}},
		{name: "key command only", env: map[string]string{"SOPS_AGE_KEY_CMD": "pass show age"}, args: []string{"decrypt", "secret.yaml"}, code: ExitFailure},
		{name: "missing identity file", args: []string{"decrypt", "--identity", "keys/nothere.txt", "secret.yaml"}, code: ExitFailure},
		{name: "not an identity file", args: []string{"decrypt", "--identity", "keys/bad.txt", "secret.yaml"}, code: ExitFailure},
		{name: "missing file", args: []string{"decrypt", "--identity", "keys/A.txt", "nothere.yaml"}, code: ExitFailure},
		{name: "plaintext file", args: []string{"decrypt", "plain.yaml"}, code: ExitFailure,
			want: []string{"plain.yaml: not encrypted", "seal encrypt"}},
		{name: "tampered file", args: []string{"decrypt", "--identity", "keys/A.txt", "tampered.yaml"}, code: ExitFailure,
			want: []string{"tampered.yaml: integrity check failed"}},
		{name: "no file", args: []string{"decrypt"}, code: ExitUsage},
		{name: "two files", args: []string{"decrypt", "secret.yaml", "plain.yaml"}, code: ExitUsage},
	}
	var transcript strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, dir, tt.env, "", tt.args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d: %s", r.Code, tt.code, cryptRedact(r.Stderr))
			}
			if r.Stdout != "" {
				t.Errorf("stdout: %q", cryptRedact(r.Stdout))
			}
			cryptNoLeak(t, tt.name, r)
			if keygenSecretRe.MatchString(r.Stderr) {
				t.Error("a private key was printed")
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, cryptRedact(r.Stderr))
				}
			}
			transcript.WriteString("# " + tt.name + "\n" + cryptTranscript(tt.args, r, func(s string) string {
				return cryptScrub(s, dir, a, b)
			}) + "\n")
		})
	}
	golden(t, "decrypt-errors.txt", transcript.String())
}

// TestDecryptInPlace: -i replaces the file with its plaintext, as sops -d -i
// does; the old "-i IDENTITY FILE" still decrypts to stdout, with a warning.
func TestDecryptInPlace(t *testing.T) {
	dir, _, _ := decryptSetup(t)
	enc := cryptRead(t, filepath.Join(dir, "secret.yaml"))
	r := runSeal(t, dir, nil, "", "decrypt", "-i", "keys/A.txt", "secret.yaml")
	want := cliRun{Stdout: cryptTwoSecretsSealed, Stderr: "seal: warning: -i keys/A.txt: -i now means --in-place, as in sops; use --identity keys/A.txt (this form will stop working)\n"}
	if diff := cryptDiff(want, r); diff != "" {
		t.Errorf("old -i IDENTITY FILE (-want +got):\n%s", diff)
	}
	if cryptRead(t, filepath.Join(dir, "secret.yaml")) != enc {
		t.Fatal("the old form changed the file")
	}

	for _, args := range [][]string{{"decrypt", "-i", "secret.yaml"}, {"decrypt", "--in-place", "secret.yaml"}} {
		cryptWrite(t, filepath.Join(dir, "secret.yaml"), enc)
		r = runSeal(t, dir, map[string]string{"SEAL_AGE_KEY_FILE": "keys/A.txt"}, "", args...)
		want = cliRun{Stderr: "secret.yaml: decrypted in place; encrypt it again with `seal encrypt -i secret.yaml` before you commit\n"}
		if diff := cryptDiff(want, r); diff != "" {
			t.Errorf("%v (-want +got):\n%s", args, diff)
		}
		if diff := cryptDiff(cryptTwoSecretsSealed, cryptRead(t, filepath.Join(dir, "secret.yaml"))); diff != "" {
			t.Errorf("%v: file (-want +got):\n%s", args, diff)
		}
	}
}
