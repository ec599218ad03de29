package v1alpha1_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// moduleRoot is the repository root, seen from this package's directory
// (where go test runs).
const moduleRoot = "../../.."

// TestGeneratedFilesAreUpToDate runs the pinned controller-gen the way
// `make generate` does, into a temporary directory, and compares its output
// with the committed deepcopy code and CRD.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	tmp := t.TempDir()
	gen := filepath.Join(tmp, "controller-gen")
	build := exec.Command("go", "build", "-o", gen, "sigs.k8s.io/controller-tools/cmd/controller-gen")
	build.Dir = filepath.Join(moduleRoot, "test", "tools", "dev")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building controller-gen: %v\n%s", err, out)
	}
	objDir, crdDir := filepath.Join(tmp, "object"), filepath.Join(tmp, "crd")
	// Same generators and options as the Makefile's generate target; only
	// the output directories differ.
	run := exec.Command(gen, "object", "paths=./agent/api/...", "crd",
		"output:object:dir="+objDir, "output:crd:dir="+crdDir)
	run.Dir = moduleRoot
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, out)
	}
	tests := []struct{ generated, committed string }{
		{filepath.Join(objDir, "zz_generated.deepcopy.go"), "zz_generated.deepcopy.go"},
		{filepath.Join(crdDir, "seal.dev_gitsyncs.yaml"), filepath.Join(moduleRoot, "manifests", "crd", "seal.dev_gitsyncs.yaml")},
		{filepath.Join(crdDir, "seal.dev_receivers.yaml"), filepath.Join(moduleRoot, "manifests", "crd", "seal.dev_receivers.yaml")},
		{filepath.Join(crdDir, "seal.dev_receivers.yaml"), filepath.Join(moduleRoot, "charts", "seal-agent", "files", "seal.dev_receivers.yaml")},
	}
	for _, tt := range tests {
		want, err := os.ReadFile(tt.generated)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(tt.committed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s is out of date with the Go types: run `make generate`", filepath.Base(tt.committed))
		}
	}
	entries, err := os.ReadDir(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("controller-gen wrote %d CRDs, want 2 (seal.dev_gitsyncs.yaml, seal.dev_receivers.yaml)", len(entries))
	}
}
