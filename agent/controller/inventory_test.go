package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/events"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

func TestInventoryRefs(t *testing.T) {
	web := apply.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	ns := apply.Ref{Version: "v1", Kind: "Namespace", Name: "shop"}
	for _, tt := range []struct {
		name   string
		status v1alpha1.GitSyncStatus
		want   []apply.Ref
	}{
		{"appliedObjects", v1alpha1.GitSyncStatus{AppliedObjects: []string{"Deployment.apps/v1 shop/web", "Namespace/v1 shop"}},
			[]apply.Ref{web, ns}},
		{"what an older agent wrote", v1alpha1.GitSyncStatus{Inventory: []v1alpha1.ObjectRef{v1alpha1.ObjectRef(web)}},
			[]apply.Ref{web}},
		{"appliedObjects wins over an older agent's inventory", v1alpha1.GitSyncStatus{AppliedObjects: []string{"Namespace/v1 shop"},
			Inventory: []v1alpha1.ObjectRef{v1alpha1.ObjectRef(web)}}, []apply.Ref{ns}},
		{"an entry that does not parse is left out", v1alpha1.GitSyncStatus{AppliedObjects: []string{"Deployment shop/web", "Namespace/v1 shop"}},
			[]apply.Ref{ns}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, inventoryRefs(&tt.status)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestASuccessfulSyncMovesAnOlderAgentsInventory: the applied objects
// land in appliedObjects, and the inventory an older agent wrote is gone.
func TestASuccessfulSyncMovesAnOlderAgentsInventory(t *testing.T) {
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{Metrics: metrics}, nil, nil, events.NewFakeRecorder(10))
	gs := &v1alpha1.GitSync{}
	gs.Namespace, gs.Name = "shop", "apps"
	gs.Status.Inventory = []v1alpha1.ObjectRef{{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "old"}}
	refs := []apply.Ref{cmRef("a"), {Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "web"}}
	r.record(context.Background(), gs, &Outcome{Revision: strings.Repeat("a", 40), Applied: applied(apply.Configured, apply.Unchanged), Inventory: refs}, time.Second)
	if diff := cmp.Diff([]string{"ConfigMap/v1 apps/a", "Deployment.apps/v1 apps/web"}, gs.Status.AppliedObjects); diff != "" {
		t.Errorf("appliedObjects (-want +got):\n%s", diff)
	}
	if gs.Status.Inventory != nil {
		t.Errorf("inventory = %v; want it removed", gs.Status.Inventory)
	}
}
