package agent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/util/retry"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestAnOlderAgentsInventoryIsPrunedAndMoved: a GitSync whose inventory an
// agent before status.appliedObjects wrote (status.inventory, an object of
// five fields an entry) loses nothing at the upgrade. The API server still
// takes that field; the next sync prunes what left Git by it, lists what it
// applied in appliedObjects and removes inventory.
func TestAnOlderAgentsInventoryIsPrunedAndMoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("two ConfigMaps", map[string][]byte{
		"apps/keep.yaml": configMap("keep", "a"),
		"apps/gone.yaml": configMap("gone", "a"),
	})
	e.createGitSync("apps", time.Hour, nil)
	e.waitApplied("apps", sha)

	// Rewrite the status as an older agent left it.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		gs := e.get("apps")
		gs.Status.Inventory = nil
		for _, entry := range gs.Status.AppliedObjects {
			ref, err := v1alpha1.ParseObjectRef(entry)
			if err != nil {
				t.Fatal(err)
			}
			gs.Status.Inventory = append(gs.Status.Inventory, ref)
		}
		gs.Status.AppliedObjects = nil
		return e.kube.Client.Status().Update(e.ctx, gs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if gs := e.get("apps"); len(gs.Status.Inventory) != 2 || gs.Status.AppliedObjects != nil {
		t.Fatalf("the status as an older agent left it was not kept: inventory %v, appliedObjects %v", gs.Status.Inventory, gs.Status.AppliedObjects)
	}

	change := e.commit("drop gone", map[string][]byte{"apps/gone.yaml": nil})
	gs := e.waitApplied("apps", change)
	if e.configMapExists("gone") {
		t.Error("ConfigMap gone, removed from Git and listed in the older agent's inventory, was not pruned")
	}
	if !e.configMapExists("keep") {
		t.Error("ConfigMap keep, still in Git, is gone")
	}
	if diff := cmp.Diff([]string{"ConfigMap/v1 " + e.ns + "/keep"}, gs.Status.AppliedObjects); diff != "" {
		t.Errorf("appliedObjects (-want +got):\n%s", diff)
	}
	if gs.Status.Inventory != nil {
		t.Errorf("status.inventory = %v; want it removed", gs.Status.Inventory)
	}
}
