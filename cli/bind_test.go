package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
)

func TestBindErrors(t *testing.T) {
	keyFile, err := filepath.Abs(filepath.Join("..", "crypto", "testdata", "keys", "x25519-a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := filepath.Abs(filepath.Join("..", "crypto", "testdata", "keys", "x25519-b.txt"))
	if err != nil {
		t.Fatal(err)
	}
	input := readCryptoFixture(t, "sops/app.env")
	bound, err := crypto.EncryptInput("app.env", []byte("TOKEN=x\n"), crypto.InputOptions{Recipients: []string{"age1tukcqpsw4gtvekeqtfafnye98xzsxe086jkt57n6dcxncq6xd4esejq9jv"}, Namespace: "shop", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data []byte
		args []string
		key  string
		code int
		want []string
	}{
		{"target without namespace", "app.env", input, []string{"bind", "app.env", "app"}, keyFile, ExitUsage, []string{`"app": want NAMESPACE/NAME`, "Secret"}},
		{"release target", "app.env", input, []string{"bind", "--release", "app.env", "shop/"}, keyFile, ExitUsage, []string{"Helm release"}},
		{"plaintext", "app.env", []byte("TOKEN=x\n"), []string{"bind", "app.env", "shop/app"}, keyFile, ExitFailure, []string{"app.env"}},
		{"manifest", "db.yaml", readCryptoFixture(t, "sops/x25519.yaml"), []string{"bind", "db.yaml", "shop/app"}, keyFile, ExitFailure, []string{"db.yaml: holds Kubernetes manifests", "seal edit db.yaml"}},
		{"already bound", "app.env", bound, []string{"bind", "app.env", "shop/other"}, keyFile, ExitFailure, []string{"app.env: already bound", "--bind-secret"}},
		{"wrong key", "app.env", input, []string{"bind", "app.env", "shop/app"}, otherKey, ExitFailure, []string{"app.env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			auditWrite(t, filepath.Join(dir, tt.file), string(tt.data))
			r := runSeal(t, dir, map[string]string{"SEAL_AGE_KEY_FILE": tt.key}, "", tt.args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, r.Stderr)
				}
			}
			if got := cryptRead(t, filepath.Join(dir, tt.file)); got != string(tt.data) {
				t.Errorf("%s was changed", tt.file)
			}
		})
	}
}
