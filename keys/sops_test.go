package keys

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/test/testbin"
)

// secretManifest is indented by four spaces, as sops writes YAML, so the
// decrypted text compares equal byte for byte.
const secretManifest = `apiVersion: v1
kind: Secret
metadata:
    name: db
    namespace: prod
stringData:
    password: correct-horse-battery-staple
`

// runSops runs the real sops CLI in dir with exactly env (plus an isolated
// HOME), returning stdout, or stderr as the error.
func runSops(t *testing.T, dir string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	bin, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "xdg")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New(stderr.String())
	}
	return stdout.Bytes(), nil
}

// sopsRecipients returns the age recipients a sops-encrypted YAML file
// was encrypted to.
func sopsRecipients(t *testing.T, encrypted []byte) []string {
	t.Helper()
	var doc struct {
		Sops struct {
			Age []struct {
				Recipient string `yaml:"recipient"`
			} `yaml:"age"`
		} `yaml:"sops"`
	}
	if err := yaml.Unmarshal(encrypted, &doc); err != nil {
		t.Fatalf("sops output is not YAML: %v", err)
	}
	var out []string
	for _, a := range doc.Sops.Age {
		out = append(out, a.Recipient)
	}
	return out
}

// TestSopsReadsOurKeyFiles proves that MarshalText writes what sops reads,
// from SOPS_AGE_KEY_FILE and from the keys.txt path DefaultKeyFile names.
func TestSopsReadsOurKeyFiles(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind.String(), func(t *testing.T) {
			dir := t.TempDir()
			id, other := mustGenerate(t, kind), mustGenerate(t, kind)
			keyFile := filepath.Join(dir, "key.txt")
			otherFile := filepath.Join(dir, "other.txt")
			os.WriteFile(keyFile, id.MarshalText(testTime), 0o600)
			os.WriteFile(otherFile, other.MarshalText(testTime), 0o600)
			os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte(secretManifest), 0o600)

			enc, err := runSops(t, dir, nil, "--config", "/dev/null", "encrypt", "--age", id.Recipient(),
				"--encrypted-regex", DefaultEncryptedRegex, "secret.yaml")
			if err != nil {
				t.Fatalf("sops encrypt: %v", err)
			}
			if bytes.Contains(enc, []byte("correct-horse")) {
				t.Fatal("sops output holds the plaintext")
			}
			if diff := cmp.Diff([]string{id.Recipient()}, sopsRecipients(t, enc)); diff != "" {
				t.Errorf("sops recipients (-want +got):\n%s", diff)
			}
			os.WriteFile(filepath.Join(dir, "secret.enc.yaml"), enc, 0o600)

			xdg := filepath.Join(dir, "xdg")
			keysTxt, _ := DefaultKeyFile(fakeEnv(map[string]string{"XDG_CONFIG_HOME": xdg}), "linux")
			os.MkdirAll(filepath.Dir(keysTxt), 0o700)
			os.WriteFile(keysTxt, id.MarshalText(testTime), 0o600)

			for _, env := range [][]string{
				{"SOPS_AGE_KEY_FILE=" + keyFile},
				{"SOPS_AGE_KEY=" + strings.TrimSpace(string(id.MarshalText(testTime)))},
			} {
				plain, err := runSops(t, dir, env, "--config", "/dev/null", "decrypt", "secret.enc.yaml")
				if err != nil {
					t.Fatalf("sops decrypt with %s: %v", strings.SplitN(env[0], "=", 2)[0], err)
				}
				if diff := cmp.Diff(secretManifest, string(plain)); diff != "" {
					t.Errorf("decrypted (-want +got):\n%s", diff)
				}
			}
			// keys.txt: runSops sets its own XDG_CONFIG_HOME, so run sops here directly.
			bin, _ := testbin.Path("sops")
			cmd := exec.Command(bin, "--config", "/dev/null", "decrypt", "secret.enc.yaml")
			cmd.Dir, cmd.Env = dir, []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + xdg}
			if plain, err := cmd.Output(); err != nil || string(plain) != secretManifest {
				t.Errorf("sops decrypt with %s: %v", keysTxt, err)
			}

			if _, err := runSops(t, dir, []string{"SOPS_AGE_KEY_FILE=" + otherFile}, "--config", "/dev/null",
				"decrypt", "secret.enc.yaml"); err == nil {
				t.Error("sops decrypted with the wrong key: the key file is not what it used")
			}
		})
	}
}
