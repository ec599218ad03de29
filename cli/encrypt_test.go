package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

// cryptTranscript renders a command line and its outcome for a golden file.
func cryptTranscript(args []string, r cliRun, scrub func(string) string) string {
	return fmt.Sprintf("$ seal %s\nexit %d\n--- stdout\n%s--- stderr\n%s", scrub(strings.Join(args, " ")), r.Code, scrub(r.Stdout), scrub(r.Stderr))
}

func TestEncrypt(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wd      string // under the test's directory
		setup   func(t *testing.T, dir string, a, b *cryptKey)
		written []string // files encrypted in place, checked to decrypt to what they held
	}{
		{
			name: "rule-in-place",
			args: []string{"encrypt", "-i", "secret.yaml"},
			setup: func(t *testing.T, dir string, a, _ *cryptKey) {
				cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`\.yaml$`, a))
				cryptWrite(t, filepath.Join(dir, "secret.yaml"), cryptTwoSecrets)
			},
			written: []string{"secret.yaml"},
		},
		{
			name: "shorthand",
			args: []string{"-i", "secret.yaml"},
			setup: func(t *testing.T, dir string, a, _ *cryptKey) {
				cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`\.yaml$`, a))
				cryptWrite(t, filepath.Join(dir, "secret.yaml"), cryptTwoSecrets)
			},
			written: []string{"secret.yaml"},
		},
		{
			name: "recipients-to-stdout",
			setup: func(t *testing.T, dir string, _, _ *cryptKey) {
				cryptWrite(t, filepath.Join(dir, "secret.yaml"), cryptTwoSecrets)
			},
		},
		{
			name: "rule-from-parent-directory-verbose",
			args: []string{"encrypt", "-v", "-i", "db.yaml"},
			wd:   "apps",
			setup: func(t *testing.T, dir string, a, b *cryptKey) {
				cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`^other/`, b)+
					"  - path_regex: ^apps/\n    age: "+a.recipient()+"\n")
				cryptWrite(t, filepath.Join(dir, "apps", "db.yaml"), cryptTwoSecrets)
			},
			written: []string{"apps/db.yaml"},
		},
		{
			name:    "directory",
			args:    []string{"encrypt", "-i", "apps"},
			setup:   cryptDirSetup,
			written: []string{"apps/db.yaml", "apps/api.json"},
		},
		{
			name:    "directory-verbose",
			args:    []string{"-v", "-i", "apps", "other.yaml"},
			setup:   cryptDirSetup,
			written: []string{"apps/db.yaml", "apps/api.json", "other.yaml"},
		},
		{
			name:  "stdin",
			args:  []string{"encrypt", "--filename-override", "apps/db.yaml", "-"},
			stdin: cryptTwoSecrets,
			setup: func(t *testing.T, dir string, a, _ *cryptKey) {
				cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`^apps/`, a))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := newCryptKey(t, t.TempDir(), "A", keys.Hybrid)
			b := newCryptKey(t, t.TempDir(), "B", keys.X25519)
			tt.setup(t, dir, a, b)
			args := tt.args
			if args == nil {
				args = []string{"encrypt", "-r", a.recipient(), "-r", b.recipient(), "secret.yaml"}
			}
			r := runSeal(t, filepath.Join(dir, tt.wd), nil, tt.stdin, args...)
			cryptNoLeak(t, tt.name, r)
			scrub := func(s string) string { return cryptScrub(s, dir, a, b) }
			out := cryptTranscript(args, r, scrub)
			for _, name := range tt.written {
				out += "--- " + name + "\n" + scrub(cryptRead(t, filepath.Join(dir, name)))
				if got := cryptDecrypt(t, filepath.Join(dir, name), a); got != cryptInputs[filepath.Base(name)] {
					t.Errorf("%s decrypts to something else than it held:\n%s", name, cryptDiff(cryptInputs[filepath.Base(name)], got))
				}
			}
			golden(t, "encrypt-"+tt.name+".txt", out)
			if r.Code != ExitOK {
				t.Errorf("exit %d, want 0", r.Code)
			}
		})
	}
}

// cryptInputs are the plaintexts cryptDirSetup writes, by base name, in the
// form they decrypt to (with the sealed identity of each Secret).
var cryptInputs = map[string]string{
	"secret.yaml": cryptTwoSecretsSealed,
	"db.yaml":     cryptTwoSecretsSealed,
	"other.yaml":  cryptTwoSecretsSealed,
	"api.json": `{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "api",
    "namespace": "apps",
    "annotations": {
      "seal.dev/sealed-for": "Secret/apps/api"
    }
  },
  "stringData": {
    "token": "` + cryptToken + `"
  }
}
`,
}

// cryptDirSetup lays out a directory with Secrets, other manifests, an
// encrypted file and files a walk must not touch.
func cryptDirSetup(t *testing.T, dir string, a, b *cryptKey) {
	cryptWrite(t, filepath.Join(dir, ".sops.yaml"), cryptRule(`\.(yaml|json)$`, a))
	apps := filepath.Join(dir, "apps")
	cryptWrite(t, filepath.Join(apps, "db.yaml"), cryptTwoSecrets)
	cryptWrite(t, filepath.Join(apps, "api.json"), cryptInputs["api.json"])
	cryptWrite(t, filepath.Join(apps, "settings.yaml"), cryptConfigMap)
	cryptWrite(t, filepath.Join(apps, "old.yaml"), cryptEncrypt(t, "old.yaml", cryptTwoSecrets, b))
	cryptWrite(t, filepath.Join(apps, "chart", "templates", "deploy.yaml"), "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }\n")
	cryptWrite(t, filepath.Join(apps, ".hidden", "secret.yaml"), cryptTwoSecrets)
	cryptWrite(t, filepath.Join(apps, ".dot.yaml"), cryptTwoSecrets)
	cryptWrite(t, filepath.Join(apps, "notes.txt"), cryptTwoSecrets)
	cryptWrite(t, filepath.Join(dir, "other.yaml"), cryptTwoSecrets)
	t.Cleanup(func() {
		// Files a walk must leave alone.
		for _, name := range []string{"settings.yaml", ".hidden/secret.yaml", ".dot.yaml", "notes.txt"} {
			if got := cryptRead(t, filepath.Join(apps, name)); !strings.Contains(got, "name:") || strings.Contains(got, "sops:") {
				t.Errorf("apps/%s was changed", name)
			}
		}
	})
}

func TestEncryptLeavesEncryptedFileAlone(t *testing.T) {
	dir := t.TempDir()
	a := newCryptKey(t, dir, "A", keys.Hybrid)
	enc := cryptEncrypt(t, "secret.yaml", cryptTwoSecrets, a)
	path := filepath.Join(dir, "secret.yaml")
	cryptWrite(t, path, enc)

	r := runSeal(t, dir, nil, "", "encrypt", "-i", "-r", a.recipient(), "secret.yaml")
	want := cliRun{Stderr: "secret.yaml: already encrypted, left as is\n"}
	if diff := cryptDiff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cryptRead(t, path) != enc {
		t.Error("the encrypted file was rewritten")
	}

	// To stdout, it is printed as it is, so a pipeline still gets the file.
	r = runSeal(t, dir, nil, "", "encrypt", "-r", a.recipient(), "secret.yaml")
	if diff := cryptDiff(cliRun{Stdout: enc, Stderr: want.Stderr}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
