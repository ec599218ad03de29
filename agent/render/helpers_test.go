package render

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fakeMarker starts a file the fake crypto treats as SOPS-encrypted: the
// first line names the key, the rest is the plaintext. It keeps test trees
// readable; the real format is covered by the sops test.
const fakeMarker = "# fake-sops key="

func fakeIsEncrypted(data []byte) bool { return bytes.HasPrefix(data, []byte(fakeMarker)) }

// fakeDecryptor opens fake files; a plaintext containing FAIL-DECRYPT fails
// as a MAC mismatch would, and PANIC-DECRYPT panics.
type fakeDecryptor struct{}

func (fakeDecryptor) Decrypt(name string, data []byte, _ bool) (*Decrypted, error) {
	head, body, _ := bytes.Cut(data, []byte("\n"))
	key := strings.TrimPrefix(string(head), fakeMarker)
	if bytes.Contains(body, []byte("FAIL-DECRYPT")) {
		return nil, fmt.Errorf("%s: MAC mismatch", name)
	}
	if bytes.Contains(body, []byte("PANIC-DECRYPT")) {
		panic("decryptor exploded")
	}
	return &Decrypted{Text: bytes.Clone(body), KeyID: key}, nil
}

// fakeEnc returns content in the fake encrypted format.
func fakeEnc(key, plain string) string { return fakeMarker + key + "\n" + plain }

func fakeOptions(path string) Options {
	return Options{Path: path, Decryptor: fakeDecryptor{}, IsEncrypted: fakeIsEncrypted}
}

// golden renders res as YAML and compares it with testdata/<name>/want.yaml,
// rewriting the file under -update.
func golden(t *testing.T, name string, res *Result) {
	t.Helper()
	objs := make([]map[string]any, len(res.Objects))
	for i, o := range res.Objects {
		objs[i] = o.Object
	}
	got, err := yaml.Marshal(map[string]any{"files": res.Files, "keyUsage": res.KeyUsage, "objects": objs, "sources": res.Sources})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", name, "want.yaml")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s: render differs from want.yaml (-want +got):\n%s", name, diff)
	}
}

// writeTree writes files (slash paths) under a new temp dir and returns it.
// Values starting with "->" become symlinks to the rest of the value.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantErr checks err against a sentinel and substrings.
func wantErr(t *testing.T, err, is error, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Render succeeded; want an error (%v) containing %q", is, contains)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q is not %v", err, is)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not contain %q", err, c)
		}
	}
}
