package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// liveConfigMap reads a ConfigMap of the test's namespace.
func (e *env) liveConfigMap(name string) *corev1.ConfigMap {
	e.t.Helper()
	var cm corev1.ConfigMap
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &cm); err != nil {
		e.t.Fatal(err)
	}
	return &cm
}

// applyManagers lists the field managers of cm's Apply entries.
func applyManagers(cm *corev1.ConfigMap) []string {
	var out []string
	for _, m := range cm.ManagedFields {
		if m.Operation == metav1.ManagedFieldsOperationApply {
			out = append(out, m.Manager)
		}
	}
	return out
}

func TestAGitSyncCannotTakeOverOrPruneAnotherGitSyncsObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shaB := e.commit("b", map[string][]byte{"b/shared.yaml": configMap("shared", "from-b")})
	e.createGitSync("b", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "b" })
	e.waitApplied("b", shaB)
	if diff := cmp.Diff([]string{"seal/" + e.ns + "/b"}, applyManagers(e.liveConfigMap("shared"))); diff != "" {
		t.Errorf("field managers of b's object (-want +got):\n%s", diff)
	}
	before := e.liveConfigMap("shared")

	// a's path names b's object, next to one of its own.
	e.commit("a takes over", map[string][]byte{"a/shared.yaml": configMap("shared", "from-a"), "a/own.yaml": configMap("a-own", "x")})
	e.createGitSync("a", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "a" })
	msg := e.waitFailed("a", v1alpha1.ReasonApplyFailed)
	if !strings.Contains(msg, "ConfigMap/"+e.ns+"/shared") || !strings.Contains(msg, "owned by GitSync "+e.ns+"/b") {
		t.Errorf("Ready message %q does not name the object and the GitSync that owns it", msg)
	}
	after := e.liveConfigMap("shared")
	if after.ResourceVersion != before.ResourceVersion || after.Data["greeting"] != "from-b" {
		t.Errorf("b's object changed: greeting %q, resourceVersion %s → %s", after.Data["greeting"], before.ResourceVersion, after.ResourceVersion)
	}
	if e.configMapExists("a-own") {
		t.Error("part of a's refused revision was applied")
	}

	// a lists b's object in its inventory (a tenant may write its own
	// GitSync's status) and removes it from Git: prune leaves it alone.
	shaA := e.commit("a drops it", map[string][]byte{"a/shared.yaml": nil})
	gs := e.get("a")
	gs.Status.AppliedObjects = append(gs.Status.AppliedObjects, v1alpha1.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "shared"}.String())
	if err := kube.Client.Status().Update(e.ctx, gs); err != nil {
		t.Fatal(err)
	}
	e.syncNow()
	e.waitApplied("a", shaA)
	if got := e.liveConfigMap("shared"); got.ResourceVersion != before.ResourceVersion {
		t.Errorf("b's object was changed or pruned by a: %+v", got.ObjectMeta)
	}
}

func TestAnObjectHandedOverMovesToTheNewGitSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shaB := e.commit("b", map[string][]byte{"b/shared.yaml": configMap("shared", "from-b")})
	e.createGitSync("b", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "b" })
	e.waitApplied("b", shaB)

	// b's owner hands the object over to a, then a applies it.
	patch := []byte(`{"metadata":{"annotations":{"seal.dev/hand-over-to":"` + e.ns + `/a"}}}`)
	if err := kube.Client.Patch(e.ctx, e.liveConfigMap("shared"), client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	// Committed without asking b to sync: b syncing while a takes over
	// is a race SECURITY.md names (the owner check and the apply are two
	// requests).
	shaA, err := e.repo.Commit("a takes over", map[string][]byte{"a/shared.yaml": configMap("shared", "from-a")})
	if err != nil {
		t.Fatal(err)
	}
	e.createGitSync("a", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "a" })
	e.waitApplied("a", shaA)
	cm := e.liveConfigMap("shared")
	if cm.Data["greeting"] != "from-a" || cm.Labels[v1alpha1.LabelGitSyncName] != "a" {
		t.Errorf("handed-over object: greeting %q, owner label %q; want from-a, a", cm.Data["greeting"], cm.Labels[v1alpha1.LabelGitSyncName])
	}
	// b now fails on it instead of taking it back.
	e.syncNow()
	if msg := e.waitFailed("b", v1alpha1.ReasonApplyFailed); !strings.Contains(msg, "owned by GitSync "+e.ns+"/a") {
		t.Errorf("b's Ready message %q does not name a as the owner", msg)
	}
}

func TestObjectsOfTheSharedFieldManagerMigrateOnTheFirstSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// What an agent before per-GitSync field managers left behind.
	old := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "web-config", "namespace": e.ns,
			"labels": map[string]any{v1alpha1.LabelGitSyncName: "app", v1alpha1.LabelGitSyncNamespace: e.ns}},
		"data": map[string]any{"greeting": "hello", "old-key": "gone-from-git"},
	}}
	if err := kube.Client.Apply(e.ctx, client.ApplyConfigurationFromUnstructured(old), client.FieldOwner("seal-agent"), client.ForceOwnership); err != nil {
		t.Fatal(err)
	}
	sha := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("app", time.Hour, nil)
	e.waitApplied("app", sha)
	cm := e.liveConfigMap("web-config")
	if diff := cmp.Diff([]string{"seal/" + e.ns + "/app"}, applyManagers(cm)); diff != "" {
		t.Errorf("apply managers after the first sync (-want +got):\n%s", diff)
	}
	// The new manager owns what the old one applied: a key no longer in
	// Git is removed, which would not happen if "seal-agent" still held it.
	if diff := cmp.Diff(map[string]string{"greeting": "hello"}, cm.Data); diff != "" {
		t.Errorf("data after migration (-want +got):\n%s", diff)
	}
	rv := cm.ResourceVersion
	e.syncNow()
	time.Sleep(3 * time.Second)
	if got := e.liveConfigMap("web-config").ResourceVersion; got != rv {
		t.Errorf("a resync after the migration wrote the object again (resourceVersion %s → %s)", rv, got)
	}
}
