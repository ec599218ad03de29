package cluster_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/test/cluster"
)

// startCluster starts a cluster of the test's own, stopped when it ends,
// with a fresh namespace named from prefix.
func startCluster(t *testing.T, prefix string) (*cluster.Cluster, string) {
	t.Helper()
	c, err := cluster.Start(cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	ns, err := c.Namespace(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c, ns
}

func TestSecretRoundTripOnRealAPIServer(t *testing.T) {
	c, ns := startCluster(t, "secret")
	ctx := context.Background()
	want := map[string][]byte{"password": []byte("hunter2")}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Data:       want,
	}
	if err := c.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	var got corev1.Secret
	if err := c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db"}, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Data); diff != "" {
		t.Errorf("secret data (-want +got):\n%s", diff)
	}

	// The apiserver validates for real: an invalid name is rejected.
	bad := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "Not_Valid", Namespace: ns}}
	if err := c.Client.Create(ctx, bad); err == nil {
		t.Error("creating a Secret named Not_Valid succeeded; want a validation error")
	}

	// kubectl built with the apiserver reaches it through the kubeconfig
	// file that separate processes use.
	out, err := c.Kubectl(ctx, "get", "secret", "db", "-n", ns, "-o", "jsonpath={.metadata.name}")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "db" {
		t.Errorf("kubectl get secret printed %q, want db", out)
	}
	if _, err := os.Stat(c.Kubeconfig); err != nil {
		t.Errorf("kubeconfig: %v", err)
	}
}
