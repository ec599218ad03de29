package apply_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

// Values that must never appear in an error.
const (
	secretInMap = "hunter2-in-a-map"
	secretInt   = 31337042
)

func TestValidationWritesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		bad  func(ns string) []*unstructured.Unstructured
		// rejected are the Short forms the error must name, in order.
		rejected []string
		// contains are substrings the error must have.
		contains []string
	}{
		{
			name:     "invalid name",
			bad:      func(ns string) []*unstructured.Unstructured { return one(configMap(ns, "Not_Valid", nil)) },
			rejected: []string{"ConfigMap/{ns}/Not_Valid"},
			contains: []string{"ConfigMap/{ns}/Not_Valid: ", "metadata.name"},
		},
		{
			name:     "deployment with an invalid field",
			bad:      func(ns string) []*unstructured.Unstructured { return one(deployment(ns, "web", -1)) },
			rejected: []string{"Deployment/{ns}/web"},
			contains: []string{"spec.replicas"},
		},
		{
			name: "every rejected object is named",
			bad: func(ns string) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{deployment(ns, "web", -1), configMap(ns, "Not_Valid", nil)}
			},
			rejected: []string{"Deployment/{ns}/web", "ConfigMap/{ns}/Not_Valid"},
		},
		{
			name: "kind the cluster does not serve",
			bad: func(ns string) []*unstructured.Unstructured {
				return one(object("nowhere.example/v1", "Gizmo", ns, "g", nil))
			},
			rejected: []string{"Gizmo/{ns}/g"},
			contains: []string{"not served"},
		},
		{
			name:     "object twice in the set",
			bad:      func(ns string) []*unstructured.Unstructured { return one(configMap(ns, "good-0", nil)) },
			rejected: []string{"ConfigMap/{ns}/good-0"},
			contains: []string{"more than once"},
		},
		{
			name: "secret values the apiserver would echo",
			bad: func(ns string) []*unstructured.Unstructured {
				s := object("v1", "Secret", ns, "creds", map[string]any{
					"data":       map[string]any{"token": int64(secretInt)},
					"stringData": map[string]any{"password": map[string]any{"x": secretInMap}},
				})
				return one(s)
			},
			rejected: []string{"Secret/{ns}/creds"},
			contains: []string{"Secret/{ns}/creds: ", ".data.token", ".stringData.password", "withheld"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t)
			c, cnt := countedClient(t)
			labels := ownerLabels()
			a := newApplier(t, c, apply.Options{Labels: labels})
			objs := append([]*unstructured.Unstructured{
				configMap(ns, "good-0", map[string]any{"k": "v"}),
				secret(ns, "good-1", map[string]string{"k": "v"}),
			}, tt.bad(ns)...)
			_, err := a.Apply(ctx, objs)
			var ve *apply.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Apply: %v, want a *apply.ValidationError", err)
			}
			var got []string
			for _, oe := range ve.Objects {
				got = append(got, oe.Ref.Short())
			}
			expand := func(s string) string { return replaceAll(s, "{ns}", ns) }
			var want []string
			for _, r := range tt.rejected {
				want = append(want, expand(r))
			}
			if diff := cmp.Diff(want, got, sortStrings); diff != "" {
				t.Errorf("rejected objects (-want +got):\n%s", diff)
			}
			for _, s := range tt.contains {
				if !contains(err.Error(), expand(s)) {
					t.Errorf("error %q does not contain %q", err, expand(s))
				}
			}
			for _, leak := range []string{secretInMap, "31337042"} {
				if contains(err.Error(), leak) {
					t.Errorf("error contains the secret value %q", leak)
				}
			}
			if ve.Partial {
				t.Error("Partial = true, want false")
			}
			if n := cnt.realWrites(); n != 0 {
				t.Errorf("sent %d writes, want 0", n)
			}
			var cms corev1.ConfigMapList
			if err := testCluster(t).Client.List(ctx, &cms, client.InNamespace(ns), client.MatchingLabels(labels)); err != nil {
				t.Fatal(err)
			}
			if len(cms.Items) != 0 {
				t.Errorf("%d ConfigMaps were written", len(cms.Items))
			}
		})
	}
}

func TestRejectedSecretKeepsStatus(t *testing.T) {
	ns := namespace(t)
	c, _ := countedClient(t)
	a := newApplier(t, c, apply.Options{})
	s := secret(ns, "Bad_Name", map[string]string{"password": secretInMap})
	_, err := a.Apply(context.Background(), one(s))
	if !apierrors.IsInvalid(err) {
		t.Errorf("apierrors.IsInvalid(%v) = false, want true", err)
	}
	if contains(err.Error(), secretInMap) || !contains(err.Error(), "metadata.name (FieldValueInvalid)") {
		t.Errorf("error %q: want the field and reason, no value", err)
	}
}

func one(u *unstructured.Unstructured) []*unstructured.Unstructured {
	return []*unstructured.Unstructured{u}
}
