package render

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3/cmd/sops/formats"
	"github.com/getsops/sops/v3/decrypt"
	"github.com/seal-gitops/seal/test/testbin"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// sopsDecryptor is a test-only Decryptor over the sops library, reading the
// age identity from SOPS_AGE_KEY_FILE. The agent gets its real Decryptor
// from the crypto package through the reconciler.
type sopsDecryptor struct{ keyID string }

func (d sopsDecryptor) Decrypt(name string, data []byte, _ bool) (*Decrypted, error) {
	plain, err := decrypt.DataWithFormat(data, formats.FormatForPath(name))
	if err != nil {
		return nil, errors.New(name + ": sops could not decrypt the file")
	}
	return &Decrypted{Text: plain, KeyID: d.keyID}, nil
}

// sopsIsEncrypted recognizes the three formats the test encrypts.
func sopsIsEncrypted(data []byte) bool {
	return bytes.Contains(data, []byte("\nsops:")) || bytes.Contains(data, []byte(`"sops":`)) ||
		bytes.Contains(data, []byte("sops_mac="))
}

// sopsEncrypt runs the real sops CLI on plaintext, as a developer would.
func sopsEncrypt(t *testing.T, sops, recipient, name, plain string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, name)
	if err := os.WriteFile(in, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sops, append(append([]string{"--encrypt", "--age", recipient}, args...), in)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops --encrypt %s: %v\n%s", name, err, stderr.String())
	}
	if bytes.Contains(out, []byte("hunter2")) || bytes.Contains(out, []byte("tok-123")) {
		t.Fatalf("sops left a value in plaintext in %s", name)
	}
	return string(out)
}

func TestRealSOPS(t *testing.T) {
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	recipient := id.Recipient().String()
	onlyData := []string{"--encrypted-regex", "^(data|stringData)$"}

	secretYAML := sopsEncrypt(t, sops, recipient, "db.yaml",
		"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\nstringData:\n  password: hunter2\n", onlyData...)
	apiEnv := sopsEncrypt(t, sops, recipient, "api.env", "TOKEN=tok-123\nURL=https://api.example.com\n")
	settingsJSON := sopsEncrypt(t, sops, recipient, "settings.json", `{"password": "hunter2", "user": "app"}`)
	tree := map[string]string{
		"plain/db.yaml":               secretYAML,
		"plain/cm.yaml":               cmYAML,
		"kust/kustomization.yaml":     "namespace: app\nresources: [db.yaml]\nsecretGenerator:\n- name: api\n  envs: [api.env]\n- name: settings\n  files: [settings.json]\n",
		"kust/db.yaml":                secretYAML,
		"kust/api.env":                apiEnv,
		"kust/settings.json":          settingsJSON,
		"tampered/kustomization.yaml": "resources: [db.yaml]\n",
		"tampered/db.yaml":            strings.Replace(secretYAML, "name: db", "name: other", 1),
	}
	fsys := os.DirFS(writeTree(t, tree))
	opts := func(path string) Options {
		return Options{Path: path, Decryptor: sopsDecryptor{keyID: recipient}, IsEncrypted: sopsIsEncrypted}
	}

	t.Run("plain", func(t *testing.T) {
		res, err := Render(context.Background(), fsys, opts("plain"))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.KeyUsage[recipient]; got != 1 || res.Files != 2 {
			t.Errorf("KeyUsage = %v, Files = %d; want 1 file decrypted of 2", res.KeyUsage, res.Files)
		}
		db := find(t, res, "Secret", "db")
		if v, _, _ := unstructured.NestedString(db.Object, "stringData", "password"); v != "hunter2" {
			t.Error("the decrypted password is not the original")
		}
		if _, found := db.Object["sops"]; found {
			t.Error("the sops metadata reached the object")
		}
	})
	t.Run("kustomize", func(t *testing.T) {
		res, err := Render(context.Background(), fsys, opts("kust"))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.KeyUsage[recipient]; got != 3 {
			t.Errorf("KeyUsage = %v; want 3 files for %s", res.KeyUsage, recipient)
		}
		db := find(t, res, "Secret", "db")
		if v, _, _ := unstructured.NestedString(db.Object, "stringData", "password"); v != "hunter2" {
			t.Error("the decrypted password is not the original")
		}
		api := find(t, res, "Secret", "api-")
		if v, _, _ := unstructured.NestedString(api.Object, "data", "TOKEN"); v != base64.StdEncoding.EncodeToString([]byte("tok-123")) {
			t.Error("the generated Secret does not hold the decrypted TOKEN")
		}
		settings := find(t, res, "Secret", "settings-")
		v, _, _ := unstructured.NestedString(settings.Object, "data", "settings.json")
		raw, _ := base64.StdEncoding.DecodeString(v)
		if !bytes.Contains(raw, []byte("hunter2")) || bytes.Contains(raw, []byte("sops")) {
			t.Error("the generated Secret does not hold the decrypted JSON file alone")
		}
	})
	t.Run("tampered", func(t *testing.T) {
		_, err := Render(context.Background(), fsys, opts("tampered"))
		wantErr(t, err, ErrDecryption, "tampered/db.yaml")
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Fatal("the error holds the plaintext")
		}
	})
}

// find returns the object of kind whose name starts with prefix.
func find(t *testing.T, res *Result, kind, prefix string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range res.Objects {
		if o.GetKind() == kind && strings.HasPrefix(o.GetName(), prefix) {
			return o
		}
	}
	t.Fatalf("no %s named %s* among %d objects", kind, prefix, len(res.Objects))
	return nil
}
