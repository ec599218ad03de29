package install

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// Shared by the package's tests. The CRD is not preinstalled: installing
// it is part of what is tested.
var (
	agentBin string
	kube     *cluster.Cluster
	git      *gitserver.Server
	root     = harness.RepoRoot()
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	work, err := harness.TempDir("seal-install-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(work)
	if agentBin, err = buildAgent(filepath.Join(work, "bin")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if kube, err = cluster.Start(cluster.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer kube.Stop()
	if git, err = gitserver.Start(filepath.Join(work, "git")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer git.Close()
	return m.Run()
}

// buildAgent compiles ./cmd/seal-agent alone (the tests need no seal CLI)
// into dir and returns its path.
func buildAgent(dir string) (string, error) {
	out := filepath.Join(dir, "seal-agent")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/seal-agent")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building seal-agent: %w\n%s", err, msg)
	}
	return out, nil
}
