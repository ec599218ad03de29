package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestSealEncryptRefusesUnboundInputs: the built seal never writes a
// value that is not bound to a namespace: a Secret without one needs
// --namespace, a generator input needs --bind-secret; each error names
// the file and the flag that fixes it, and nothing is written.
func TestSealEncryptRefusesUnboundInputs(t *testing.T) {
	t.Parallel()
	id, err := keys.Generate(keys.Hybrid)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, content string
		args                []string
		want                []string // in stderr
	}{
		{"dotenv without --bind-secret", "app.env", "TOKEN=cli-secret-1\n", nil, []string{"app.env", "--bind-secret"}},
		{"dotenv in place without --bind-secret", "app.env", "TOKEN=cli-secret-1\n", []string{"-i"}, []string{"app.env", "--bind-secret"}},
		{"Secret without a namespace", "db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: cli-secret-2\n", nil, []string{"db.yaml", "no metadata.namespace", "--namespace"}},
		{"Secret without a namespace in place", "db.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: cli-secret-2\n", []string{"-i"}, []string{"db.yaml", "no metadata.namespace", "--namespace"}},
		{"--bind-secret without a namespace", "app.env", "TOKEN=cli-secret-1\n", []string{"--bind-secret", "app"}, []string{"--bind-secret", "NAMESPACE/NAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{"encrypt", "-r", id.Recipient()}, tt.args...), path)
			res, err := harness.Run(t.Context(), harness.Command{Path: bin.Seal, Args: args, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode == 0 {
				t.Fatalf("seal %s exited 0, want an error; stdout:\n%s", strings.Join(tt.args, " "), res.Stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr does not name %q:\n%s", w, res.Stderr)
				}
			}
			if strings.Contains(res.Stdout, "ENC[") {
				t.Errorf("an encrypted file was written to stdout:\n%s", res.Stdout)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Errorf("%s was changed:\n%s", tt.file, got)
			}
		})
	}
}
