package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// resumer is an Applier that can take over from the applier of another
// agent process (*apply.Applier is one): a new leader, or the agent
// started again, whose first sync of a GitSync finds the revision the
// status says was applied sends no write when nothing changed since.
type resumer interface {
	Resume(ctx context.Context, objects []*unstructured.Unstructured, digest string) (bool, error)
	Digest() string
}

// resume lets the applier take over from the last sync recorded in gs's
// status, when that sync succeeded at this revision and generation: it
// then remembers the objects as applied if the live ones are as that sync
// left them (status.appliedDigest). Otherwise, or on an error, the apply
// that follows writes every object, as on a first sync.
func (s *Stages) resume(ctx context.Context, gs *v1alpha1.GitSync, revision string, objects []*unstructured.Unstructured) {
	r, ok := s.Apply.(resumer)
	if !ok || !resumable(gs, revision) {
		return
	}
	resumed, err := r.Resume(ctx, objects, gs.Status.AppliedDigest)
	switch {
	case err != nil:
		log.FromContext(ctx).Info("could not read the live objects to resume from the last sync; applying every object", "error", err.Error())
	case resumed:
		log.FromContext(ctx).Info("resumed from the last sync: the live objects are as it left them", "revision", revision, "objects", len(objects))
	}
}

// resumable reports whether gs's status records a successful sync of
// revision at its current generation, with a digest.
func resumable(gs *v1alpha1.GitSync, revision string) bool {
	ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	return gs.Status.AppliedDigest != "" && gs.Status.LastAppliedRevision == revision &&
		ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == gs.Generation
}

// appliedDigest is the applier's digest, "" when it cannot tell one.
func (s *Stages) appliedDigest() string {
	if r, ok := s.Apply.(resumer); ok {
		return r.Digest()
	}
	return ""
}
