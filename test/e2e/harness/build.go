package harness

import (
	"fmt"
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
	return Binaries{Seal: filepath.Join(dir, "seal"), Agent: filepath.Join(dir, "seal-agent")}, nil
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
