package agent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// exists reports whether the ConfigMap name is in the test's namespace.
func (e *env) configMapExists(name string) bool {
	e.t.Helper()
	var cm corev1.ConfigMap
	err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &cm)
	if err != nil && !apierrors.IsNotFound(err) {
		e.t.Fatal(err)
	}
	return err == nil
}

func TestCommitChangesSecretPrunesConfigMapAndRevertBringsItBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const first, second = "first-pw-9c2e1b", "second-pw-4a8d77"
	e.commit("app", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     e.seal(secretManifest("db", first), first),
	})
	sha := e.commit("app", nil)
	e.createGitSync("apps", 10*time.Second, nil)
	e.waitApplied("apps", sha)

	change := e.commit("rotate password, drop config", map[string][]byte{
		"apps/db.yaml":     e.seal(secretManifest("db", second), second),
		"apps/config.yaml": nil,
	})
	gs := e.waitApplied("apps", change)
	if diff := cmp.Diff(map[string]string{"password": second}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db after the change (-want +got):\n%s", diff)
	}
	if e.configMapExists("web-config") {
		t.Error("ConfigMap web-config removed from Git was not pruned")
	}
	if gs.Status.LastSync == nil || gs.Status.LastSync.Pruned != 1 || gs.Status.LastSync.Configured != 1 {
		t.Errorf("lastSync = %+v, want 1 configured and 1 pruned", gs.Status.LastSync)
	}

	revert, err := e.repo.Revert(change)
	if err != nil {
		t.Fatal(err)
	}
	e.syncNow()
	e.waitApplied("apps", revert)
	if !e.configMapExists("web-config") {
		t.Error("reverting the commit did not bring ConfigMap web-config back")
	}
	if diff := cmp.Diff(map[string]string{"password": first}, e.secretData("db")); diff != "" {
		t.Errorf("Secret db after the revert (-want +got):\n%s", diff)
	}
}

// configMapValue is the greeting of ConfigMap name.
func (e *env) configMapValue(name string) string {
	e.t.Helper()
	var cm corev1.ConfigMap
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &cm); err != nil {
		e.t.Fatal(err)
	}
	return cm.Data["greeting"]
}
