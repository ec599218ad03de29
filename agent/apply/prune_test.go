package apply_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

func TestPrune(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	agentNS, oldNS := ns+"-agent", ns+"-old"
	group := uniqueGroup()
	c, cnt := countedClient(t)
	labels := ownerLabels()
	a := newApplier(t, c, apply.Options{TargetNamespace: ns, AgentNamespace: agentNS, Labels: labels})
	protected := configMap("", "protected", nil)
	protected.SetAnnotations(map[string]string{apply.PruneAnnotation: apply.PruneDisabled})
	keep := configMap("", "keep", nil)
	first := []*unstructured.Unstructured{
		keep, configMap("", "old", nil), configMap("", "unlabelled", nil), protected,
		secret("", "old-secret", map[string]string{"k": "v"}),
		namespaceObject(oldNS), namespaceObject(agentNS), crd(group),
	}
	res1, err := a.Apply(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	// Someone takes "unlabelled" over by removing our label.
	live := configMap(ns, "unlabelled", nil)
	patch(t, live, `{"metadata":{"labels":{"seal.dev/gitsync-name":null}}}`)

	res2, err := a.Apply(ctx, []*unstructured.Unstructured{keep})
	if err != nil {
		t.Fatal(err)
	}
	stale := apply.Stale(res1.Inventory, res2.Inventory)
	ghost := apply.Ref{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "never-existed"}
	gone := apply.Ref{Group: "nowhere.example", Version: "v1", Kind: "Gizmo", Namespace: ns, Name: "g"}
	desired := apply.Ref{Version: "v1", Kind: "ConfigMap", Namespace: ns, Name: "keep"}
	cnt.reset()
	res, err := a.Prune(ctx, append(stale, ghost, gone, desired))
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		Action apply.Action
		Reason string
	}
	got := map[string]outcome{}
	for _, o := range res.Objects {
		got[o.Ref.Short()] = outcome{o.Action, o.Reason}
	}
	want := map[string]outcome{
		"ConfigMap/" + ns + "/old":                  {apply.Deleted, ""},
		"Secret/" + ns + "/old-secret":              {apply.Deleted, ""},
		"Namespace/" + oldNS:                        {apply.Deleted, ""},
		"CustomResourceDefinition/widgets." + group: {apply.Deleted, ""},
		"ConfigMap/" + ns + "/unlabelled":           {apply.Skipped, "lacks the ownership label seal.dev/gitsync-name=" + labels["seal.dev/gitsync-name"]},
		"ConfigMap/" + ns + "/protected":            {apply.Skipped, "annotated seal.dev/prune: disabled"},
		"Namespace/" + agentNS:                      {apply.Skipped, "the agent's own namespace"},
		"ConfigMap/" + ns + "/never-existed":        {apply.Deleted, "already gone"},
		"Gizmo/" + ns + "/g":                        {apply.Deleted, "already gone"},
		"ConfigMap/" + ns + "/keep":                 {apply.Skipped, "still in the applied set"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prune results (-want +got):\n%s", diff)
	}

	// Namespaced objects first, then Namespaces, then CRDs.
	var deletes []string
	cnt.mu.Lock()
	for _, r := range cnt.reqs {
		if r.method == http.MethodDelete {
			deletes = append(deletes, deleteClass(r.path))
		}
	}
	cnt.mu.Unlock()
	wantOrder := []string{"namespaced", "namespaced", "namespace", "crd"}
	if diff := cmp.Diff(wantOrder, deletes); diff != "" {
		t.Errorf("DELETE order (-want +got):\n%s", diff)
	}

	for _, name := range []string{"unlabelled", "protected", "keep"} {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, configMap(ns, name, nil)); err != nil {
			t.Errorf("ConfigMap %s: %v, want it kept", name, err)
		}
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "old"}, configMap(ns, "old", nil)); !apierrors.IsNotFound(err) {
		t.Errorf("ConfigMap old: %v, want NotFound", err)
	}

	// Pruning again finds everything already gone.
	res, err = a.Prune(ctx, []apply.Ref{stale[0]})
	if err != nil || res.Count(apply.Deleted) != 1 {
		t.Errorf("second Prune: %v, %v; want the object counted as deleted", res.Summary(), err)
	}
}

// deleteClass sorts a DELETE request path into what it deletes.
func deleteClass(path string) string {
	switch {
	case strings.Contains(path, "/customresourcedefinitions/"):
		return "crd"
	case strings.Count(path, "/") == 4 && strings.HasPrefix(path, "/api/v1/namespaces/"):
		return "namespace"
	default:
		return "namespaced"
	}
}
