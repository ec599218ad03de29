package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestBuiltSealDefaultImage builds seal as make build does, with a
// version stamped in, and checks that bootstrap installs the agent image
// of that version; a build without a version asks for --image.
func TestBuiltSealDefaultImage(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "seal")
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X github.com/seal-gitops/seal/internal/version.version=v0.7.1", "./cmd/seal")
	build.Dir = harness.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	export := func(bin string) (string, string, error) {
		cmd := exec.Command(bin, "bootstrap", "--export", "--url", "https://git.example/env.git", "--path", "clusters/prod")
		cmd.Dir = t.TempDir()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		return string(out), stderr.String(), err
	}
	out, stderr, err := export(bin)
	if err != nil {
		t.Fatalf("seal bootstrap --export: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "image: ghcr.io/seal-gitops/seal-agent:v0.7.1\n") {
		t.Errorf("the exported Deployment does not run seal-agent v0.7.1:\n%s", out)
	}

	devel := filepath.Join(t.TempDir(), "seal")
	build = exec.Command("go", "build", "-buildvcs=false", "-o", devel, "./cmd/seal")
	build.Dir = harness.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, stderr, err := export(devel); err == nil || !strings.Contains(stderr, "seal: error: --image is required: this seal was built without a version") {
		t.Errorf("a seal without a version: %v, stderr:\n%s", err, stderr)
	}
}
