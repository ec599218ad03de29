package crypto

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	"github.com/seal-gitops/seal/test/testbin"
)

var update = flag.Bool("update", false, "rewrite golden files and the sops-made fixtures in testdata")

// testKey is one of the test identities in testdata/keys (test-only keys,
// committed so that fixtures and fuzz seeds stay decryptable).
type testKey struct {
	name      string
	id        age.Identity
	recipient string
	file      string
}

func loadKey(t testing.TB, name string) testKey {
	t.Helper()
	file := filepath.Join("testdata", "keys", name+".txt")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil || len(ids) != 1 {
		t.Fatalf("%s: parsing the test identity failed: %v", file, err)
	}
	var r string
	switch id := ids[0].(type) {
	case *age.X25519Identity:
		r = id.Recipient().String()
	case *age.HybridIdentity:
		r = id.Recipient().String()
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{name: name, id: ids[0], recipient: r, file: abs}
}

func recipientsOf(keys ...testKey) []string {
	var rs []string
	for _, k := range keys {
		rs = append(rs, k.recipient)
	}
	return rs
}

func idsOf(keys ...testKey) []age.Identity {
	var ids []age.Identity
	for _, k := range keys {
		ids = append(ids, k.id)
	}
	return ids
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sopsPath returns the real sops CLI, built from source by testbin.
func sopsPath(t testing.TB) string {
	t.Helper()
	p, err := testbin.Path("sops")
	if err != nil {
		t.Fatalf("building the sops CLI: %v", err)
	}
	return p
}

// sopsRunner runs the real sops CLI with only the given identities (in a
// key file in a home directory of its own): no user config, no other key
// source.
type sopsRunner struct {
	bin string
	env []string
}

func newSOPSRunner(t testing.TB, bin string, keys []testKey) *sopsRunner {
	t.Helper()
	var ring bytes.Buffer
	for _, k := range keys {
		ring.Write(readFile(t, k.file))
	}
	home := t.TempDir()
	keyFile := filepath.Join(home, "keys.txt")
	if err := os.WriteFile(keyFile, ring.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &sopsRunner{bin: bin, env: []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + home,
		"SOPS_AGE_KEY_FILE=" + keyFile,
	}}
}

// run runs sops in dir and returns its standard output.
func (r *sopsRunner) run(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(r.bin, append([]string{"--disable-version-check"}, args...)...)
	cmd.Dir = dir
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &sopsError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// sopsCLI runs the sops CLI once in dir with only the given identities.
func sopsCLI(t testing.TB, sops, dir string, keys []testKey, args ...string) ([]byte, error) {
	t.Helper()
	return newSOPSRunner(t, sops, keys).run(dir, args...)
}

type sopsError struct {
	err    error
	stderr string
}

func (e *sopsError) Error() string {
	return "sops: " + e.err.Error() + ": " + strings.TrimSpace(e.stderr)
}

var (
	maskENC   = regexp.MustCompile(`ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]`)
	maskAge   = regexp.MustCompile(`(?s)-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----`)
	maskTime  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	maskLongR = regexp.MustCompile(`age1pq1[a-z0-9]{20,}`)
)

// mask replaces the random parts of an encrypted file (ciphertexts, wrapped
// keys, the MAC, lastmodified) so that its shape can be compared.
func mask(data []byte) []byte {
	data = maskENC.ReplaceAll(data, []byte("ENC[AES256_GCM,data:…,iv:…,tag:…,type:$1]"))
	data = maskAge.ReplaceAll(data, []byte("<age file>"))
	data = maskTime.ReplaceAll(data, []byte("<lastmodified>"))
	return maskLongR.ReplaceAllFunc(data, func(r []byte) []byte { return []byte(ShortRecipient(string(r))) })
}

// checkGolden compares got with testdata/golden/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}

// boundPlain returns testdata/bound/name: testdata/plain/name with the
// binding annotations Encrypt adds, written by hand, which is what Decrypt
// returns for the file Encrypt wrote.
func boundPlain(t testing.TB, name string) []byte {
	t.Helper()
	return readFile(t, filepath.Join("testdata", "bound", name))
}

// stripBindings removes the binding annotation lines of YAML text (and an
// annotations line they leave empty): the plaintext before Encrypt or
// Reencrypt added them.
func stripBindings(s string) string {
	lines := strings.SplitAfter(s, "\n")
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	var out []string
	for i, l := range lines {
		if !strings.Contains(l, BindingAnnotation+":") {
			out = append(out, l)
			continue
		}
		n := len(out)
		if n > 0 && strings.TrimSpace(out[n-1]) == "annotations:" && (i+1 == len(lines) || indent(lines[i+1]) <= indent(out[n-1])) {
			out = out[:n-1]
		}
	}
	return strings.Join(out, "")
}
