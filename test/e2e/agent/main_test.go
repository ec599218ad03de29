// Package agent_test runs the built seal-agent as its own process against a
// real kube-apiserver and a real git server, and checks what it does to the
// cluster, its status, its events and its logs.
package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// Shared by every test of the package; each test works in its own
// namespace with its own agent and repository. So tests run in parallel
// (t.Parallel), but for the few that read what every test writes to the
// cluster or the git server, which say so.
var (
	bin     harness.Binaries
	kube    *cluster.Cluster
	git     *gitserver.Server
	workDir string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	workDir, err = harness.TempDir("seal-e2e-agent-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	if bin, err = harness.Build(filepath.Join(workDir, "bin")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kube, err = cluster.Start(clusterOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer kube.Stop()
	git, err = gitserver.Start(filepath.Join(workDir, "git"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer git.Close()
	return m.Run()
}

// clusterOptions start a cluster with Seal's CRDs installed and a client
// that knows GitSyncs: the shared one, or a test's own.
func clusterOptions() cluster.Options {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	return cluster.Options{
		CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")},
		Scheme:  scheme,
	}
}
