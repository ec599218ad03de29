package harness

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Binaries are the paths of the built seal and seal-agent.
type Binaries struct {
	Seal, Agent string
}

// Build compiles ./cmd/seal and ./cmd/seal-agent from this source tree into
// dir. The Go build cache makes a second build within a run cheap; callers
// build once in TestMain.
func Build(dir string) (Binaries, error) {
	root := RepoRoot()
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/seal", "./cmd/seal-agent")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Binaries{}, fmt.Errorf("building seal and seal-agent: %w\n%s", err, out)
	}
	bins := Binaries{Seal: filepath.Join(dir, "seal"), Agent: filepath.Join(dir, "seal-agent")}
	for _, p := range []string{bins.Seal, bins.Agent} {
		if err := rewrite(p); err != nil {
			return Binaries{}, err
		}
	}
	return bins, nil
}

// rewrite copies the binary at path through plain writes and renames the
// copy over it. The Go linker writes its output through a memory mapping,
// which leaves the file in the page cache in large folios that the kernel
// maps whole when the program touches them: a freshly linked seal-agent
// started about 35 MiB larger in resident memory (all of it the binary's
// file-backed pages) than the same binary copied, as a container runtime
// writes it when it unpacks an image. The copy is what runs in a cluster,
// so it is what the benchmarks measure.
func rewrite(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".copy"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copying %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// RepoRoot is the root of this source tree.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// TempDir makes a directory for a test binary's whole run, for TestMain,
// where t.TempDir is not available. The caller removes it.
func TempDir(prefix string) (string, error) {
	return os.MkdirTemp("", prefix)
}
