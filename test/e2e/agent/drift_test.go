package agent_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestDriftIsCorrectedWithoutACommit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const password = "drift-pw-51be0c"
	sha := e.commit("app", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     e.seal(secretManifest("db", password), password),
	})
	e.createGitSync("apps", 10*time.Second, nil)
	e.waitApplied("apps", sha)

	// Someone edits a field Git manages and deletes an object; the next
	// interval puts both back, with no commit and no sync request.
	var cm corev1.ConfigMap
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "web-config"}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["greeting"] = "tampered"
	if err := kube.Client.Update(e.ctx, &cm, client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	secret.Namespace, secret.Name = e.ns, "db"
	if err := kube.Client.Delete(e.ctx, secret); err != nil {
		t.Fatal(err)
	}

	e.eventually(30*time.Second, "the ConfigMap and the Secret to be put back", func() (bool, error) {
		var got corev1.ConfigMap
		if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "web-config"}, &got); err != nil {
			return false, err
		}
		var s corev1.Secret
		err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "db"}, &s)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return got.Data["greeting"] == "hello" && string(s.Data["password"]) == password, err
	})
	gs := e.get("apps")
	if gs.Status.LastAppliedRevision != sha {
		t.Errorf("lastAppliedRevision = %s, want %s (no new commit)", gs.Status.LastAppliedRevision, sha)
	}
	// Both usually land in one sync; the interval may split them.
	e.eventually(10*time.Second, "lastSync to count the drift corrections", func() (bool, error) {
		gs := e.get("apps")
		return gs.Status.LastSync != nil && gs.Status.LastSync.DriftCorrected >= 1, nil
	})
	e.eventually(10*time.Second, "a DriftCorrected event", func() (bool, error) {
		return e.hasEvent("DriftCorrected"), nil
	})
}
