package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestResumable(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	synced := func(mutate func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
		gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
		gs.Status.LastAppliedRevision = rev
		gs.Status.AppliedDigest = "sha256:ab"
		gs.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, ObservedGeneration: 3}}
		if mutate != nil {
			mutate(gs)
		}
		return gs
	}
	tests := []struct {
		name     string
		gs       *v1alpha1.GitSync
		revision string
		want     bool
	}{
		{"applied at this revision and generation", synced(nil), rev, true},
		{"another revision in Git", synced(nil), "fedcba9876543210fedcba9876543210fedcba98", false},
		{"no digest (an agent before digests)", synced(func(gs *v1alpha1.GitSync) { gs.Status.AppliedDigest = "" }), rev, false},
		{"the spec changed since", synced(func(gs *v1alpha1.GitSync) { gs.Generation = 4 }), rev, false},
		{"the last sync failed", synced(func(gs *v1alpha1.GitSync) { gs.Status.Conditions[0].Status = metav1.ConditionFalse }), rev, false},
		{"never synced", &v1alpha1.GitSync{}, rev, false},
	}
	for _, tt := range tests {
		if got := resumable(tt.gs, tt.revision); got != tt.want {
			t.Errorf("%s: resumable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
