package apply_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

func TestWriteCounts(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	c, cnt := countedClient(t)
	a := newApplier(t, c, apply.Options{})
	set := func(changed string) []*unstructured.Unstructured {
		objs := make([]*unstructured.Unstructured, 200)
		for i := range objs {
			v := "same"
			if i == 42 {
				v = changed
			}
			objs[i] = configMap(ns, fmt.Sprintf("cm-%03d", i), map[string]any{"k": v})
		}
		return objs
	}
	if _, err := a.Apply(ctx, set("v1")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                          string
		changed                       string
		writes, dryRuns, lists, total int
		configured                    int
	}{
		// One LIST for the ConfigMaps of the namespace, nothing else.
		{name: "nothing changed", changed: "v1", lists: 1, total: 1},
		// The LIST, a dry-run, a GET of the changed object checking that
		// no other owner holds it (not a second LIST of the kind), and
		// its apply.
		{name: "one object of 200 changed", changed: "v2", writes: 2, dryRuns: 1, lists: 1, total: 4, configured: 1},
		{name: "nothing changed again", changed: "v2", lists: 1, total: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cnt.reset()
			res, err := a.Apply(ctx, set(tt.changed))
			if err != nil {
				t.Fatal(err)
			}
			want := []int{tt.writes, tt.dryRuns, tt.lists, tt.total, tt.configured, 200 - tt.configured}
			got := []int{cnt.writes(), cnt.count(func(r request) bool { return r.dryRun }), cnt.lists(), cnt.total(),
				res.Count(apply.Configured), res.Count(apply.Unchanged)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[writes dry-runs lists requests configured unchanged] (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDrift(t *testing.T) {
	ctx := context.Background()
	admin := testCluster(t).Client
	tests := []struct {
		name   string
		target *unstructured.Unstructured
		// drift changes the applied target in the cluster.
		drift func(t *testing.T, obj *unstructured.Unstructured)
		want  apply.Action
		// check looks at the live target after the second Apply.
		check func(t *testing.T, live *unstructured.Unstructured)
	}{
		{
			name:   "data edited by another field manager",
			target: configMap("", "target", map[string]any{"k": "git"}),
			drift: func(t *testing.T, obj *unstructured.Unstructured) {
				patch(t, obj, `{"data":{"k":"edited"}}`)
			},
			want: apply.DriftCorrected,
			check: func(t *testing.T, live *unstructured.Unstructured) {
				if v, _, _ := unstructured.NestedString(live.Object, "data", "k"); v != "git" {
					t.Errorf("data.k = %q, want git", v)
				}
			},
		},
		{
			name:   "deployment scaled by hand",
			target: deployment("", "target", 2),
			drift: func(t *testing.T, obj *unstructured.Unstructured) {
				patch(t, obj, `{"spec":{"replicas":5}}`)
			},
			want: apply.DriftCorrected,
			check: func(t *testing.T, live *unstructured.Unstructured) {
				if v, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas"); v != 2 {
					t.Errorf("spec.replicas = %d, want 2", v)
				}
			},
		},
		{
			name:   "deleted",
			target: configMap("", "target", map[string]any{"k": "git"}),
			drift: func(t *testing.T, obj *unstructured.Unstructured) {
				if err := admin.Delete(ctx, obj); err != nil {
					t.Fatal(err)
				}
			},
			want:  apply.DriftCorrected,
			check: func(t *testing.T, live *unstructured.Unstructured) {},
		},
		{
			name:   "ownership label removed",
			target: configMap("", "target", map[string]any{"k": "git"}),
			drift: func(t *testing.T, obj *unstructured.Unstructured) {
				patch(t, obj, `{"metadata":{"labels":{"seal.dev/gitsync-name":null}}}`)
			},
			want: apply.DriftCorrected,
			check: func(t *testing.T, live *unstructured.Unstructured) {
				if live.GetLabels()["seal.dev/gitsync-name"] == "" {
					t.Error("ownership label not restored")
				}
			},
		},
		{
			name:   "unrelated label added by another manager",
			target: configMap("", "target", map[string]any{"k": "git"}),
			drift: func(t *testing.T, obj *unstructured.Unstructured) {
				patch(t, obj, `{"metadata":{"labels":{"other":"x"}}}`)
			},
			want: apply.Unchanged,
			check: func(t *testing.T, live *unstructured.Unstructured) {
				if live.GetLabels()["other"] != "x" {
					t.Error("the other manager's label was removed")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t)
			c, cnt := countedClient(t)
			a := newApplier(t, c, apply.Options{TargetNamespace: ns})
			objs := []*unstructured.Unstructured{tt.target, configMap("", "bystander", map[string]any{"k": "v"})}
			if _, err := a.Apply(ctx, objs); err != nil {
				t.Fatal(err)
			}
			live := tt.target.DeepCopy()
			live.SetNamespace(ns)
			tt.drift(t, live)

			cnt.reset()
			res, err := a.Apply(ctx, objs)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]apply.Action{
				tt.target.GetKind() + "/" + ns + "/target": tt.want,
				"ConfigMap/" + ns + "/bystander":           apply.Unchanged,
			}
			if diff := cmp.Diff(want, actions(res)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			// Only the target was dry-run and applied.
			if got := cnt.writes(); got != 2 {
				t.Errorf("sent %d writes, want 2", got)
			}
			if err := admin.Get(ctx, client.ObjectKeyFromObject(live), live); err != nil {
				t.Fatal(err)
			}
			tt.check(t, live)

			// The correction (or the other manager's change) is remembered.
			cnt.reset()
			if _, err := a.Apply(ctx, objs); err != nil {
				t.Fatal(err)
			}
			if got := cnt.writes(); got != 0 {
				t.Errorf("third Apply sent %d writes, want 0", got)
			}
		})
	}
}

// patch merge-patches obj in the cluster as another field manager.
func patch(t *testing.T, obj *unstructured.Unstructured, body string) {
	t.Helper()
	p := client.RawPatch(types.MergePatchType, []byte(body))
	if err := testCluster(t).Client.Patch(context.Background(), obj.DeepCopy(), p, client.FieldOwner("intruder")); err != nil {
		t.Fatal(err)
	}
}
