package apply_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

func TestApplyCycle(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	c, cnt := countedClient(t)
	labels := ownerLabels()
	a := newApplier(t, c, apply.Options{Labels: labels})
	set := func(bValue string, names ...string) []*unstructured.Unstructured {
		var objs []*unstructured.Unstructured
		for _, n := range names {
			v := "1"
			if n == "b" {
				v = bValue
			}
			objs = append(objs, configMap(ns, n, map[string]any{"k": v}))
		}
		return objs
	}
	cm := func(n string) string { return "ConfigMap/" + ns + "/" + n }
	steps := []struct {
		name       string
		restart    bool
		objects    []*unstructured.Unstructured
		want       map[string]apply.Action
		realWrites int
	}{
		{"first apply creates", false, set("1", "a", "b", "c"),
			map[string]apply.Action{cm("a"): apply.Created, cm("b"): apply.Created, cm("c"): apply.Created}, 3},
		{"same set sends nothing", false, set("1", "a", "b", "c"),
			map[string]apply.Action{cm("a"): apply.Unchanged, cm("b"): apply.Unchanged, cm("c"): apply.Unchanged}, 0},
		{"changed object is configured", false, set("2", "a", "b", "c"),
			map[string]apply.Action{cm("a"): apply.Unchanged, cm("b"): apply.Configured, cm("c"): apply.Unchanged}, 1},
		{"after a restart all are applied once, unchanged", true, set("2", "a", "b", "c"),
			map[string]apply.Action{cm("a"): apply.Unchanged, cm("b"): apply.Unchanged, cm("c"): apply.Unchanged}, 3},
		{"added object is created, removed one leaves the inventory", false, set("2", "a", "b", "d"),
			map[string]apply.Action{cm("a"): apply.Unchanged, cm("b"): apply.Unchanged, cm("d"): apply.Created}, 1},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if step.restart {
				a = newApplier(t, c, apply.Options{Labels: labels})
			}
			cnt.reset()
			res, err := a.Apply(ctx, step.objects)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(step.want, actions(res)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if got := cnt.realWrites(); got != step.realWrites {
				t.Errorf("sent %d writes, want %d", got, step.realWrites)
			}
			var wantInv []string
			for _, o := range step.objects {
				wantInv = append(wantInv, o.GetKind()+"/"+ns+"/"+o.GetName())
			}
			if diff := cmp.Diff(wantInv, refsShort(res.Inventory)); diff != "" {
				t.Errorf("inventory (-want +got):\n%s", diff)
			}
		})
	}
	var b unstructured.Unstructured
	b.SetAPIVersion("v1")
	b.SetKind("ConfigMap")
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "b"}, &b); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedString(b.Object, "data", "k"); got != "2" {
		t.Errorf("ConfigMap b has k=%q, want 2", got)
	}
}

func TestTargetNamespaceAndLabels(t *testing.T) {
	ctx := context.Background()
	target, other := namespace(t), namespace(t)
	c, _ := countedClient(t)
	labels := ownerLabels()
	a := newApplier(t, c, apply.Options{TargetNamespace: target, Labels: labels})
	role := object("rbac.authorization.k8s.io/v1", "ClusterRole", "stray-namespace", "apply-target-"+target, nil)
	own := configMap("", "no-namespace", map[string]any{"k": "v"})
	own.SetLabels(map[string]string{"team": "a", "seal.dev/gitsync-name": "forged"})
	objs := []*unstructured.Unstructured{own, configMap(other, "explicit", nil), role}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ClusterRole/apply-target-" + target, "ConfigMap/" + target + "/no-namespace", "ConfigMap/" + other + "/explicit"}
	if diff := cmp.Diff(want, refsShort(res.Inventory), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	if own.GetNamespace() != "" || len(own.GetLabels()) != 2 {
		t.Errorf("Apply modified its input: namespace %q, labels %v", own.GetNamespace(), own.GetLabels())
	}
	wantLabels := map[string]string{"team": "a"}
	for k, v := range labels {
		wantLabels[k] = v
	}
	for _, ref := range res.Inventory {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(ref.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, live); err != nil {
			t.Fatalf("%s: %v", ref.Short(), err)
		}
		want := labels
		if ref.Name == "no-namespace" {
			want = wantLabels
		}
		if diff := cmp.Diff(want, live.GetLabels()); diff != "" {
			t.Errorf("%s labels (-want +got):\n%s", ref.Short(), diff)
		}
	}

	// Without a target namespace, a namespaced object needs its own.
	b := newApplier(t, c, apply.Options{})
	_, err = b.Apply(ctx, []*unstructured.Unstructured{configMap("", "lost", nil)})
	var ve *apply.ValidationError
	if !errors.As(err, &ve) || !contains(err.Error(), "ConfigMap/lost: namespaced object without a namespace") {
		t.Errorf("Apply without namespace: %v, want a ValidationError naming ConfigMap/lost", err)
	}
}

func TestCRDAndCustomResourceInOneSet(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	group := uniqueGroup()
	c, cnt := countedClient(t)
	a := newApplier(t, c, apply.Options{TargetNamespace: ns})
	objs := []*unstructured.Unstructured{widget(group, "", "w1", int64(3)), crd(group)}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]apply.Action{
		"CustomResourceDefinition/widgets." + group: apply.Created,
		"Widget/" + ns + "/w1":                      apply.Created,
	}
	if diff := cmp.Diff(want, actions(res)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	cnt.reset()
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	if n := cnt.writes(); n != 0 {
		t.Errorf("re-apply sent %d writes, want 0", n)
	}

	// A custom resource the new schema rejects is caught by the dry-run
	// that follows the CRD stage, before it is written.
	group2 := uniqueGroup()
	_, err = a.Apply(ctx, []*unstructured.Unstructured{crd(group2), widget(group2, "", "bad", "large")})
	var ve *apply.ValidationError
	if !errors.As(err, &ve) || !ve.Partial || len(ve.Objects) != 1 || ve.Objects[0].Ref.Short() != "Widget/"+ns+"/bad" {
		t.Fatalf("Apply with an invalid Widget: %v, want a partial ValidationError naming Widget/%s/bad", err, ns)
	}
	bad := widget(group2, ns, "bad", nil)
	if err := c.Get(ctx, client.ObjectKeyFromObject(bad), bad); err == nil {
		t.Error("the rejected Widget was written")
	}

	// A CRD whose kind is taken is never established: an error, not a wait.
	taken := crd(group)
	taken.SetName("gadgets." + group)
	if err := unstructured.SetNestedField(taken.Object, "gadgets", "spec", "names", "plural"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(taken.Object, "gadget", "spec", "names", "singular"); err != nil {
		t.Fatal(err)
	}
	_, err = a.Apply(ctx, []*unstructured.Unstructured{crd(group), taken})
	if err == nil || !contains(err.Error(), "CustomResourceDefinition/gadgets."+group+": names not accepted") {
		t.Errorf("Apply of a CRD with a taken kind: %v, want names not accepted", err)
	}
}

func TestNamespaceAndObjectsInItInOneSet(t *testing.T) {
	ctx := context.Background()
	name := namespace(t) + "-new"
	c, _ := countedClient(t)
	a := newApplier(t, c, apply.Options{})
	objs := []*unstructured.Unstructured{
		configMap(name, "cm", map[string]any{"k": "v"}),
		secret(name, "s", map[string]string{"k": "v"}),
		namespaceObject(name),
	}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]apply.Action{
		"Namespace/" + name: apply.Created, "ConfigMap/" + name + "/cm": apply.Created, "Secret/" + name + "/s": apply.Created,
	}
	if diff := cmp.Diff(want, actions(res)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestApplyHonoursContext(t *testing.T) {
	ns := namespace(t)
	c, cnt := countedClient(t)
	a := newApplier(t, c, apply.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Apply(ctx, []*unstructured.Unstructured{configMap(ns, "x", nil)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: %v, want context.Canceled", err)
	}
	if n := cnt.realWrites(); n != 0 {
		t.Errorf("sent %d writes, want 0", n)
	}
}
