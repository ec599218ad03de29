package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestRestartKeepsDataAndClients stops kube-apiserver, then etcd, and
// starts each again: an object created before the restart is still there
// after it, and a client built before it works after it, through the same
// address and certificates.
func TestRestartKeepsDataAndClients(t *testing.T) {
	c, ns := startCluster(t, "restart")
	ctx := context.Background()
	// Built before any restart, like a long-running agent's client.
	before, err := client.New(c.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartAPIServer(); err == nil {
		t.Error("StartAPIServer on a running kube-apiserver succeeded; want an error")
	}
	if err := c.StartEtcd(); err == nil {
		t.Error("StartEtcd on a running etcd succeeded; want an error")
	}

	for _, tc := range []struct {
		name        string
		stop, start func() error
	}{
		{"kube-apiserver", c.StopAPIServer, c.StartAPIServer},
		{"etcd", c.StopEtcd, c.StartEtcd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]string{"greeting": "before the restart of " + tc.name}
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "before-" + tc.name, Namespace: ns},
				Data:       want,
			}
			if err := c.Client.Create(ctx, cm); err != nil {
				t.Fatal(err)
			}

			stopped := time.Now()
			if err := tc.stop(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s stopped in %s", tc.name, time.Since(stopped).Round(10*time.Millisecond))
			// The outage is real: a write fails while it is down.
			short, cancel := context.WithTimeout(ctx, 3*time.Second)
			err := before.Create(short, configMap(ns, "during-"+tc.name))
			cancel()
			if err == nil {
				t.Errorf("creating a ConfigMap with %s stopped succeeded; want an error", tc.name)
			}

			started := time.Now()
			if err := tc.start(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s started again and ready in %s", tc.name, time.Since(started).Round(10*time.Millisecond))

			var got corev1.ConfigMap
			if err := before.Get(ctx, client.ObjectKeyFromObject(cm), &got); err != nil {
				t.Fatalf("the client built before the restart: %v", err)
			}
			if diff := cmp.Diff(want, got.Data); diff != "" {
				t.Errorf("ConfigMap created before the restart (-want +got):\n%s", diff)
			}
			if err := before.Create(ctx, configMap(ns, "after-"+tc.name)); err != nil {
				t.Errorf("the client built before the restart cannot write after it: %v", err)
			}
			if _, err := c.Kubectl(ctx, "get", "configmap", "after-"+tc.name, "-n", ns); err != nil {
				t.Errorf("kubectl through the kubeconfig written before the restart: %v", err)
			}
		})
	}
}

func configMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Data:       map[string]string{"greeting": fmt.Sprintf("%s in %s", name, ns)},
	}
}
