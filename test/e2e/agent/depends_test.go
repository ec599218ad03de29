package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// syncPath syncs dir and depends on deps (names in the same namespace).
func syncPath(dir string, deps ...string) func(*v1alpha1.GitSync) {
	return func(gs *v1alpha1.GitSync) {
		gs.Spec.Path = dir
		for _, d := range deps {
			gs.Spec.DependsOn = append(gs.Spec.DependsOn, v1alpha1.DependencyReference{Name: d})
		}
	}
}

// readyAtLatest reads GitSync name; false when it does not exist.
func (e *env) readyAtLatest(name string) bool {
	e.t.Helper()
	var gs v1alpha1.GitSync
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &gs); err != nil {
		if apierrors.IsNotFound(err) {
			return false
		}
		e.t.Fatal(err)
	}
	ok, _ := gs.ReadyAtLatest()
	return ok
}

// TestADependsOnChainIsAppliedInOrder: A depends on B, B on C, created in
// the reverse of the order they can become Ready (A first). Each waits
// with DependencyNotReady naming the first dependency that is not ready,
// and none applies anything before its dependency is Ready at its latest
// revision: checked on every poll, the ConfigMap of A never exists while B
// is not Ready, nor B's while C is not.
func TestADependsOnChainIsAppliedInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("three layers", map[string][]byte{
		"a/cm.yaml": configMap("from-a", "a"),
		"b/cm.yaml": configMap("from-b", "b"),
		"c/cm.yaml": configMap("from-c", "c"),
	})

	e.createGitSync("a", time.Hour, syncPath("a", "b"))
	msg := e.waitFailed("a", v1alpha1.ReasonDependencyNotReady)
	if want := fmt.Sprintf("spec.dependsOn[0]: GitSync %s/b not found", e.ns); !strings.Contains(msg, want) {
		t.Errorf("a's message %q does not say %q", msg, want)
	}
	e.createGitSync("b", time.Hour, syncPath("b", "c"))
	msg = e.waitFailed("b", v1alpha1.ReasonDependencyNotReady)
	if want := fmt.Sprintf("GitSync %s/c not found", e.ns); !strings.Contains(msg, want) {
		t.Errorf("b's message %q does not say %q", msg, want)
	}
	if e.configMapExists("from-a") || e.configMapExists("from-b") {
		t.Fatalf("a or b applied before its dependency existed")
	}
	gs := e.get("a")
	if gs.Status.LastAttemptedRevision != "" {
		t.Errorf("a fetched revision %s while its dependency was not ready", gs.Status.LastAttemptedRevision)
	}
	if s := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled); s != nil {
		t.Errorf("a waiting for a dependency is Stalled: %+v", s)
	}

	start := time.Now()
	e.createGitSync("c", time.Hour, syncPath("c"))
	readyAt := map[string]time.Duration{}
	e.eventually(90*time.Second, "a, b and c Ready in order", func() (bool, error) {
		// Read the ConfigMaps before the GitSyncs: the status of a
		// dependency is written before its dependant applies anything.
		hasA, hasB := e.configMapExists("from-a"), e.configMapExists("from-b")
		readyB, readyC := e.readyAtLatest("b"), e.readyAtLatest("c")
		if hasA && !readyB {
			t.Fatalf("a applied its ConfigMap while b was not Ready")
		}
		if hasB && !readyC {
			t.Fatalf("b applied its ConfigMap while c was not Ready")
		}
		// One time per poll: GitSyncs first seen Ready in the same poll tie.
		now := time.Since(start)
		for name, ready := range map[string]bool{"a": e.readyAtLatest("a"), "b": readyB, "c": readyC} {
			if _, seen := readyAt[name]; ready && !seen {
				readyAt[name] = now
			}
		}
		return len(readyAt) == 3, nil
	})
	if !(readyAt["c"] <= readyAt["b"] && readyAt["b"] <= readyAt["a"]) {
		t.Errorf("Ready after %v: want c, then b, then a", readyAt)
	}
	t.Logf("after c was created: c Ready in %s, b in %s, a in %s", readyAt["c"], readyAt["b"], readyAt["a"])
	for _, name := range []string{"a", "b", "c"} {
		e.waitApplied(name, sha)
		if !e.configMapExists("from-" + name) {
			t.Errorf("ConfigMap from-%s not applied", name)
		}
	}
}

// TestADependencyCycleIsReported: x depends on y and y on x; z on itself.
// Each is Stalled with reason DependencyCycle naming the cycle, and
// nothing is applied.
func TestADependencyCycleIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("cycle", map[string][]byte{
		"x/cm.yaml": configMap("from-x", "x"),
		"y/cm.yaml": configMap("from-y", "y"),
		"z/cm.yaml": configMap("from-z", "z"),
	})
	e.createGitSync("x", time.Hour, syncPath("x", "y"))
	e.createGitSync("y", time.Hour, syncPath("y", "x"))
	e.createGitSync("z", time.Hour, syncPath("z", "z"))

	for name, want := range map[string]string{
		"x": fmt.Sprintf("spec.dependsOn forms a cycle: %[1]s/x → %[1]s/y → %[1]s/x", e.ns),
		"y": fmt.Sprintf("spec.dependsOn forms a cycle: %[1]s/y → %[1]s/x → %[1]s/y", e.ns),
		"z": fmt.Sprintf("spec.dependsOn names GitSync %s/z itself", e.ns),
	} {
		if msg := e.waitFailed(name, v1alpha1.ReasonDependencyCycle); !strings.Contains(msg, want) {
			t.Errorf("%s: message %q does not say %q", name, msg, want)
		}
		gs := e.get(name)
		if s := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled); s == nil ||
			s.Status != metav1.ConditionTrue || s.Reason != v1alpha1.ReasonDependencyCycle {
			t.Errorf("%s: Stalled = %+v, want True with reason DependencyCycle", name, s)
		}
		if e.configMapExists("from-" + name) {
			t.Errorf("%s applied its ConfigMap despite the cycle", name)
		}
	}
}

// TestATenantMayDependOnlyOnGitSyncsItsAccountMayRead: in tenant mode a
// dependency in another namespace that the service account may not get
// is refused, naming the account; once granted get, the GitSync waits for
// it, and applies once it is Ready at its latest revision (written here as
// the agent of that namespace, which this test does not run, would).
func TestATenantMayDependOnlyOnGitSyncsItsAccountMayRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deployer("deployer", "app-git")
	other := e.namespace("e2e-other")
	base := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "base"},
		Spec: v1alpha1.GitSyncSpec{URL: "https://git.example.com/platform/base.git"}}
	if err := kube.Client.Create(e.ctx, base); err != nil {
		t.Fatal(err)
	}
	sha := e.commit("app", map[string][]byte{"app/cm.yaml": configMap("from-app", "app")})
	e.createGitSync("app", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.Path, gs.Spec.ServiceAccountName = "app", "deployer"
		gs.Spec.DependsOn = []v1alpha1.DependencyReference{{Namespace: other, Name: "base"}}
	})
	msg := e.waitFailed("app", v1alpha1.ReasonDependencyNotReady)
	if want := fmt.Sprintf("ServiceAccount %s/deployer may not get GitSync %s/base (forbidden)", e.ns, other); !strings.Contains(msg, want) {
		t.Errorf("message %q does not say %q", msg, want)
	}

	for _, o := range []client.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "read-gitsyncs"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"gitsyncs"}, Verbs: []string{"get"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "read-gitsyncs"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "read-gitsyncs"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: e.ns, Name: "deployer"}}},
	} {
		if err := kube.Client.Create(e.ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	e.eventually(60*time.Second, "app waits for base, no longer refused", func() (bool, error) {
		ready := meta.FindStatusCondition(e.get("app").Status.Conditions, v1alpha1.ConditionReady)
		return ready != nil && ready.Reason == v1alpha1.ReasonDependencyNotReady &&
			strings.Contains(ready.Message, fmt.Sprintf("GitSync %s/base is not ready: generation 1 is not synced yet", other)), nil
	})
	if e.configMapExists("from-app") {
		t.Fatal("app applied before base was Ready")
	}

	if err := kube.Client.Get(e.ctx, client.ObjectKeyFromObject(base), base); err != nil {
		t.Fatal(err)
	}
	base.Status = v1alpha1.GitSyncStatus{ObservedGeneration: base.Generation, LastAttemptedRevision: sha, LastAppliedRevision: sha,
		Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded,
			Message: "Applied", ObservedGeneration: base.Generation, LastTransitionTime: metav1.Now()}}}
	if err := kube.Client.Status().Update(e.ctx, base); err != nil {
		t.Fatal(err)
	}
	e.waitApplied("app", sha)
}
