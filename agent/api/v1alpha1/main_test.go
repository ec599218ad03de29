package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
)

// testEnv is the API server every test in this package shares, with the
// generated CRD installed; startErr is why it is missing.
var (
	testEnv  *cluster.Cluster
	startErr error
)

func TestMain(m *testing.M) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		startErr = err
	} else if err := v1alpha1.AddToScheme(scheme); err != nil {
		startErr = err
	} else {
		testEnv, startErr = cluster.Start(cluster.Options{
			CRDDirs: []string{filepath.Join(moduleRoot, "manifests", "crd")},
			Scheme:  scheme,
		})
	}
	// Returning from TestMain exits with m.Run's code.
	m.Run()
	if testEnv != nil {
		if err := testEnv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test cluster:", err)
		}
	}
}

// env returns the shared cluster and a fresh namespace.
func env(t *testing.T) (*cluster.Cluster, string) {
	t.Helper()
	if startErr != nil {
		t.Fatalf("test cluster: %v", startErr)
	}
	ns, err := testEnv.Namespace(context.Background(), "gitsync")
	if err != nil {
		t.Fatal(err)
	}
	return testEnv, ns
}
