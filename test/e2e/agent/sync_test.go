package agent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`

func configMap(name, value string) []byte {
	return fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  greeting: %s\n", name, value)
}

func secretManifest(name, password string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\nstringData:\n  password: %s\n", name, password)
}

// secretData reads a Secret's data from the cluster.
func (e *env) secretData(name string) map[string]string {
	e.t.Helper()
	var s corev1.Secret
	if err := e.kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &s); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

func TestSyncsDeploymentConfigMapAndSealedSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "s3cr3t-e2e-initial-7f1d"
	sha := e.commit("app", map[string][]byte{
		"apps/web.yaml":    []byte(deployment),
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     e.seal(secretManifest("db", password), password),
	})
	e.createGitSync("apps", time.Hour, nil)
	gs := e.waitApplied("apps", sha)

	if diff := cmp.Diff(map[string]string{"password": password}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db data (-want +got):\n%s", diff)
	}
	var d appsv1.Deployment
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "web"}, &d); err != nil {
		t.Fatal(err)
	}
	if d.Labels[v1alpha1.LabelGitSyncName] != "apps" || d.Labels[v1alpha1.LabelGitSyncNamespace] != e.ns {
		t.Errorf("Deployment labels = %v, want the GitSync's labels", d.Labels)
	}
	if len(gs.Status.AppliedObjects) != 3 {
		t.Errorf("inventory holds %d objects, want 3: %v", len(gs.Status.AppliedObjects), gs.Status.AppliedObjects)
	}
	if gs.Status.LastSync == nil || gs.Status.LastSync.Created != 3 {
		t.Errorf("lastSync = %+v, want 3 created", gs.Status.LastSync)
	}
	if len(gs.Status.DecryptionKeys) != 1 || gs.Status.DecryptionKeys[0].Files != 1 {
		t.Errorf("decryptionKeys = %+v, want one key that opened 1 file", gs.Status.DecryptionKeys)
	}
	// An UnboundSecrets warning would be recorded before Succeeded.
	e.eventually(10*time.Second, "the Succeeded event", func() (bool, error) { return e.hasEvent(v1alpha1.ReasonSucceeded), nil })
	if e.hasEvent(v1alpha1.ReasonUnboundSecrets) {
		t.Error("a Secret seal encrypted was reported as without a sealed identity")
	}
}
