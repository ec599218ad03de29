package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// Event reasons of a GitSync's deletion.
const (
	reasonDeletionFailed = "DeletionFailed"
	reasonDeleted        = "ObjectsDeleted"
	reasonOrphaned       = "ObjectsOrphaned"
)

// deletionRetryInterval is the wait before deleting a GitSync's objects
// is tried again after a failure.
const deletionRetryInterval = 10 * time.Second

// pruner deletes a GitSync's objects; *apply.Applier is one.
type pruner interface {
	Prune(ctx context.Context, stale []apply.Ref) (*apply.Result, error)
}

// ensureFinalizer adds the agent's finalizer to gs, so that deleting it
// waits for finalize.
func (r *Reconciler) ensureFinalizer(ctx context.Context, gs *v1alpha1.GitSync) error {
	if controllerutil.ContainsFinalizer(gs, v1alpha1.Finalizer) {
		return nil
	}
	base := gs.DeepCopy()
	controllerutil.AddFinalizer(gs, v1alpha1.Finalizer)
	if err := r.Client.Patch(ctx, gs, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("adding finalizer %s to GitSync %s/%s: %w", v1alpha1.Finalizer, gs.Namespace, gs.Name, err)
	}
	return nil
}

// finalize handles a GitSync being deleted: it deletes the objects of its
// inventory that still carry its owner labels (unless deletionPolicy is
// Orphan, prune is off or it is suspended), then removes the finalizer and
// frees its record. A failure to delete is an event and a retry: the
// finalizer stays until every object is deleted.
func (r *Reconciler) finalize(ctx context.Context, gs *v1alpha1.GitSync) (reconcile.Result, error) {
	key := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	if !controllerutil.ContainsFinalizer(gs, v1alpha1.Finalizer) {
		return reconcile.Result{}, r.forget(ctx, key)
	}
	if gs.Spec.DeletesObjectsOnDeletion() {
		// A fresh record: the applier of the last sync would skip the
		// objects it applied last, as still wanted.
		if err := r.forget(ctx, key); err != nil {
			return reconcile.Result{}, err
		}
		p, err := r.pruner(gs)
		if err != nil {
			return r.deletionFailed(ctx, gs, err)
		}
		if err := r.deleteInventory(ctx, gs, p); err != nil {
			return r.deletionFailed(ctx, gs, err)
		}
	} else {
		r.Recorder.Eventf(gs, nil, corev1.EventTypeNormal, reasonOrphaned, "Delete",
			"Left the %d objects of GitSync %s/%s in the cluster (%s)", len(inventoryRefs(&gs.Status)), gs.Namespace, gs.Name, orphanReason(gs))
	}
	base := gs.DeepCopy()
	controllerutil.RemoveFinalizer(gs, v1alpha1.Finalizer)
	if err := r.Client.Patch(ctx, gs, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, fmt.Errorf("removing finalizer %s from GitSync %s/%s: %w", v1alpha1.Finalizer, gs.Namespace, gs.Name, err)
	}
	return reconcile.Result{}, r.forget(ctx, key)
}

// pruner is what deletes gs's objects: the applier of a fresh record,
// unless a test set newPruner.
func (r *Reconciler) pruner(gs *v1alpha1.GitSync) (pruner, error) {
	if r.newPruner != nil {
		return r.newPruner(gs)
	}
	rec, err := r.records.get(gs)
	if err != nil {
		return nil, err
	}
	return rec.applier, nil
}

// deleteInventory deletes gs's inventory with p: workloads first, then
// Namespaces, then CRDs (see apply.Applier.Prune).
func (r *Reconciler) deleteInventory(ctx context.Context, gs *v1alpha1.GitSync, p pruner) error {
	res, err := p.Prune(ctx, inventoryRefs(&gs.Status))
	if err != nil {
		return fmt.Errorf("deleting the objects of GitSync %s/%s: %w", gs.Namespace, gs.Name, err)
	}
	deleted := res.Count(apply.Deleted)
	log.FromContext(ctx).Info("deleted the GitSync's objects", "deleted", deleted, "skipped", res.Count(apply.Skipped))
	r.Recorder.Eventf(gs, nil, corev1.EventTypeNormal, reasonDeleted, "Delete",
		"Deleted %d objects of GitSync %s/%s (%d skipped)", deleted, gs.Namespace, gs.Name, res.Count(apply.Skipped))
	return nil
}

// deletionFailed records err as an event and retries; the finalizer stays.
func (r *Reconciler) deletionFailed(ctx context.Context, gs *v1alpha1.GitSync, err error) (reconcile.Result, error) {
	log.FromContext(ctx).Info("could not delete the GitSync's objects, retrying", "error", err.Error())
	r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, reasonDeletionFailed, "Delete", "%s; retrying", err.Error())
	return reconcile.Result{RequeueAfter: deletionRetryInterval}, nil
}

// orphanReason says why a deleted GitSync's objects are left.
func orphanReason(gs *v1alpha1.GitSync) string {
	switch {
	case gs.Spec.DeletionPolicy == v1alpha1.DeletionPolicyOrphan:
		return "spec.deletionPolicy is Orphan"
	case !gs.Spec.PruneEnabled():
		return "spec.prune is false"
	default:
		return "spec.suspend is true"
	}
}
