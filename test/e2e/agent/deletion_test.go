package agent_test

import (
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestDeletingAGitSync: the agent puts its finalizer on a GitSync; deleting
// the GitSync deletes its objects (default policy) or leaves them
// (deletionPolicy Orphan, or suspended), and the GitSync is then gone.
func TestDeletingAGitSync(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mutate    func(*v1alpha1.GitSync)
		suspend   bool
		wantGone  bool
		wantEvent string
	}{
		{name: "default policy deletes", wantGone: true, wantEvent: "ObjectsDeleted"},
		{name: "orphan keeps", mutate: func(gs *v1alpha1.GitSync) { gs.Spec.DeletionPolicy = v1alpha1.DeletionPolicyOrphan }, wantEvent: "ObjectsOrphaned"},
		{name: "suspended keeps", suspend: true, wantEvent: "ObjectsOrphaned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			first := e.commit("first", map[string][]byte{"apps/config.yaml": configMap("web-config", "hello")})
			e.createGitSync("apps", 10*time.Second, tt.mutate)
			gs := e.waitApplied("apps", first)
			if !hasFinalizer(gs) {
				t.Fatalf("GitSync finalizers = %v, want %s", gs.Finalizers, v1alpha1.Finalizer)
			}
			if tt.suspend {
				e.setSuspend("apps", true)
			}
			e.deleteGitSync("apps")
			e.waitGitSyncGone("apps")
			if got := e.configMapExists("web-config"); got == tt.wantGone {
				t.Errorf("after deleting the GitSync web-config exists = %v, want %v", got, !tt.wantGone)
			}
			if !e.hasEvent(tt.wantEvent) {
				t.Errorf("no %s event for the GitSync", tt.wantEvent)
			}
		})
	}
}

// TestGitSyncDeletedWhileAgentStopped: a GitSync deleted while the agent
// is down waits on the finalizer; the agent, started again, deletes its
// objects and lets it go.
func TestGitSyncDeletedWhileAgentStopped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.commit("first", map[string][]byte{"apps/config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", 10*time.Second, nil)
	e.waitApplied("apps", first)

	e.stopAgent()
	e.agent = nil
	e.deleteGitSync("apps")
	time.Sleep(2 * time.Second)
	if gs := e.get("apps"); gs.DeletionTimestamp.IsZero() {
		t.Fatal("the deleted GitSync has no deletionTimestamp")
	}
	if !e.configMapExists("web-config") {
		t.Fatal("web-config was deleted while the agent was stopped")
	}

	e.startAgent()
	e.waitGitSyncGone("apps")
	if e.configMapExists("web-config") {
		t.Error("web-config still exists after the agent finalized the GitSync")
	}
}

func hasFinalizer(gs *v1alpha1.GitSync) bool {
	for _, f := range gs.Finalizers {
		if f == v1alpha1.Finalizer {
			return true
		}
	}
	return false
}

// deleteGitSync deletes the GitSync.
func (e *env) deleteGitSync(name string) {
	e.t.Helper()
	if err := kube.Client.Delete(e.ctx, e.get(name)); err != nil {
		e.t.Fatal(err)
	}
}

// waitGitSyncGone waits until the GitSync no longer exists.
func (e *env) waitGitSyncGone(name string) {
	e.t.Helper()
	e.eventually(60*time.Second, "GitSync "+name+" gone", func() (bool, error) {
		var gs v1alpha1.GitSync
		err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &gs)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}
