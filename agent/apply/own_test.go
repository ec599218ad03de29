package apply_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

func getLive(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	live := configMap(ns, name, nil)
	if err := testCluster(t).Client.Get(context.Background(), client.ObjectKeyFromObject(live), live); err != nil {
		t.Fatal(err)
	}
	return live
}

// TestApplyRefusesAnObjectOfAnotherOwner runs with a set small enough
// that the owner check reads its objects one by one, and with one large
// enough that it lists them.
func TestApplyRefusesAnObjectOfAnotherOwner(t *testing.T) {
	for _, extra := range []int{0, 12} {
		t.Run(fmt.Sprintf("%d more objects", extra), func(t *testing.T) { testRefusesAnObjectOfAnotherOwner(t, extra) })
	}
}

func testRefusesAnObjectOfAnotherOwner(t *testing.T, extra int) {
	ctx := context.Background()
	ns := namespace(t)
	c, _ := countedClient(t)
	theirLabels, ourLabels := ownerLabels(), ownerLabels()
	theirs := newApplier(t, c, apply.Options{TargetNamespace: ns, Labels: theirLabels, FieldManager: "seal/b/app", Owner: "b/app"})
	ours := newApplier(t, c, apply.Options{TargetNamespace: ns, Labels: ourLabels, FieldManager: "seal/a/app", Owner: "a/app",
		DescribeOwner: func(l map[string]string) string { return "GitSync " + l["seal.dev/gitsync-name"] }})
	if _, err := theirs.Apply(ctx, []*unstructured.Unstructured{configMap("", "shared", map[string]any{"owner": "b"})}); err != nil {
		t.Fatal(err)
	}
	before := getLive(t, ns, "shared")

	set := []*unstructured.Unstructured{
		configMap("", "mine", map[string]any{"owner": "a"}),
		configMap("", "shared", map[string]any{"owner": "a"}),
	}
	for i := range extra {
		set = append(set, configMap("", fmt.Sprintf("mine-%d", i), map[string]any{"owner": "a"}))
	}
	_, err := ours.Apply(ctx, set)
	var owned *apply.OwnedError
	if !errors.As(err, &owned) {
		t.Fatalf("Apply: got %v, want an OwnedError", err)
	}
	if want := "GitSync " + theirLabels["seal.dev/gitsync-name"]; owned.Owner != want || owned.Ref.Name != "shared" {
		t.Errorf("OwnedError names %s of %s, want %s of shared", owned.Owner, owned.Ref.Name, want)
	}
	if !contains(err.Error(), "ConfigMap/"+ns+"/shared: owned by GitSync") || !contains(err.Error(), apply.HandOverAnnotation) {
		t.Errorf("error %q does not name the object, its owner and the hand-over annotation", err)
	}
	after := getLive(t, ns, "shared")
	if diff := cmp.Diff(before.Object, after.Object); diff != "" {
		t.Errorf("the other owner's object changed (-before +after):\n%s", diff)
	}
	if err := testCluster(t).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "mine"}, configMap("", "", nil)); err == nil {
		t.Error("an object of a refused set was created")
	}

	// The owner of the live object hands it over.
	patch(t, configMap(ns, "shared", nil), `{"metadata":{"annotations":{"seal.dev/hand-over-to":"a/app"}}}`)
	if _, err := ours.Apply(ctx, []*unstructured.Unstructured{configMap("", "shared", map[string]any{"owner": "a"})}); err != nil {
		t.Fatalf("Apply after hand-over: %v", err)
	}
	got := getLive(t, ns, "shared")
	if diff := cmp.Diff(ourLabels, got.GetLabels()); diff != "" {
		t.Errorf("labels after hand-over (-want +got):\n%s", diff)
	}
	if v, _, _ := unstructured.NestedString(got.Object, "data", "owner"); v != "a" {
		t.Errorf("data.owner = %q after hand-over, want a", v)
	}
	// And the former owner may no longer write it.
	if _, err := theirs.Apply(ctx, []*unstructured.Unstructured{configMap("", "shared", map[string]any{"owner": "b"})}); !errors.As(err, &owned) {
		t.Errorf("former owner's Apply: got %v, want an OwnedError", err)
	}
}

func TestApplyMigratesFromTheLegacyFieldManager(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	labels := ownerLabels()
	c, cnt := countedClient(t)
	set := func(keys ...string) []*unstructured.Unstructured {
		var objs []*unstructured.Unstructured
		for _, name := range []string{"one", "two", "three"} {
			data := map[string]any{}
			for _, k := range keys {
				data[k] = "v"
			}
			objs = append(objs, configMap("", name, data))
		}
		return objs
	}
	old := newApplier(t, c, apply.Options{TargetNamespace: ns, Labels: labels}) // DefaultFieldManager
	if _, err := old.Apply(ctx, set("a", "b")); err != nil {
		t.Fatal(err)
	}

	// The upgraded agent: a new Applier (empty memory) with its own manager.
	a := newApplier(t, c, apply.Options{TargetNamespace: ns, Labels: labels, FieldManager: "seal/x/y",
		LegacyFieldManagers: []string{apply.DefaultFieldManager}})
	cnt.reset()
	res, err := a.Apply(ctx, set("a", "b"))
	if err != nil {
		t.Fatalf("first apply after the upgrade: %v", err)
	}
	for ref, action := range actions(res) {
		if action != apply.Unchanged {
			t.Errorf("%s: %s, want unchanged", ref, action)
		}
	}
	patches := cnt.count(func(r request) bool { return r.method == http.MethodPatch && !r.dryRun })
	// One migration patch and one (no-op) apply per object: no more.
	if patches != 6 {
		t.Errorf("first sync after the upgrade sent %d real PATCH requests, want 6 (3 migrations, 3 applies)", patches)
	}
	for _, name := range []string{"one", "two", "three"} {
		var managers []string
		for _, m := range getLive(t, ns, name).GetManagedFields() {
			if m.Operation == metav1.ManagedFieldsOperationApply {
				managers = append(managers, m.Manager)
			}
		}
		if diff := cmp.Diff([]string{"seal/x/y"}, managers); diff != "" {
			t.Errorf("%s: apply managers (-want +got):\n%s", name, diff)
		}
	}

	cnt.reset()
	if _, err := a.Apply(ctx, set("a", "b")); err != nil {
		t.Fatal(err)
	}
	if n := cnt.writes(); n != 0 {
		t.Errorf("resync after migration sent %d writes, want 0", n)
	}

	// The new manager owns the fields: a key removed from Git goes.
	if _, err := a.Apply(ctx, set("a")); err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(getLive(t, ns, "one").Object, "data")
	if diff := cmp.Diff(map[string]string{"a": "v"}, data); diff != "" {
		t.Errorf("data after removing key b (-want +got):\n%s", diff)
	}
}
