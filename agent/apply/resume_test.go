package apply_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

// TestResume: a new Applier (a restarted agent, a new leader) given the
// last Applier's Digest resumes when the live objects are as that Applier
// left them, and then sends no write for the same set; when one was
// changed, deleted, or the digest is missing or wrong, it does not resume,
// and Apply applies every object as on a first sync.
func TestResume(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		digest      func(string) string
		meddle      func(t *testing.T, c client.Client, ns string)
		wantResumed bool
	}{
		{name: "unchanged", digest: same, wantResumed: true},
		{name: "no digest", digest: func(string) string { return "" }},
		{name: "another digest", digest: func(string) string { return "sha256:00" }},
		{name: "an object changed", digest: same, meddle: func(t *testing.T, c client.Client, ns string) {
			cm := configMap(ns, "b", map[string]any{"k": "meddled"})
			if err := c.Update(ctx, cm); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an object deleted", digest: same, meddle: func(t *testing.T, c client.Client, ns string) {
			if err := c.Delete(ctx, configMap(ns, "c", nil)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t)
			c, cnt := countedClient(t)
			set := func() []*unstructured.Unstructured {
				return []*unstructured.Unstructured{
					configMap(ns, "a", map[string]any{"k": "1"}), configMap(ns, "b", map[string]any{"k": "1"}),
					configMap(ns, "c", map[string]any{"k": "1"}), secret(ns, "s", map[string]string{"password": "resume-pw"}),
				}
			}
			labels := ownerLabels()
			first := newApplier(t, c, apply.Options{Labels: labels})
			if _, err := first.Apply(ctx, set()); err != nil {
				t.Fatal(err)
			}
			digest := first.Digest()
			if digest == "" {
				t.Fatal("Digest after an Apply is empty")
			}
			if tt.meddle != nil {
				tt.meddle(t, c, ns)
			}

			next := newApplier(t, c, apply.Options{Labels: labels})
			cnt.reset()
			resumed, err := next.Resume(ctx, set(), tt.digest(digest))
			if err != nil {
				t.Fatal(err)
			}
			if resumed != tt.wantResumed {
				t.Errorf("Resume = %v, want %v", resumed, tt.wantResumed)
			}
			if w := cnt.writes(); w != 0 {
				t.Errorf("Resume sent %d writes, want 0", w)
			}
			cnt.reset()
			if _, err := next.Apply(ctx, set()); err != nil {
				t.Fatal(err)
			}
			writes := cnt.writes()
			if tt.wantResumed && writes != 0 {
				t.Errorf("Apply after Resume sent %d writes, want 0", writes)
			}
			if !tt.wantResumed && writes < 4 {
				t.Errorf("Apply without Resume sent %d writes, want each of the 4 objects applied", writes)
			}
			if next.Digest() == "" {
				t.Error("Digest after Apply is empty")
			}
		})
	}
}

func same(d string) string { return d }

// TestResumeOnlyOnce: an Applier that remembers objects does not resume.
func TestResumeOnlyOnce(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	c, _ := countedClient(t)
	a := newApplier(t, c, apply.Options{Labels: ownerLabels()})
	set := []*unstructured.Unstructured{configMap(ns, "a", map[string]any{"k": "1"})}
	if _, err := a.Apply(ctx, set); err != nil {
		t.Fatal(err)
	}
	if resumed, err := a.Resume(ctx, set, a.Digest()); err != nil || resumed {
		t.Errorf("Resume on an Applier that remembers objects = %v, %v; want false", resumed, err)
	}
}
