package controller

import (
	"context"
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// errSuperseded ends a health wait cut short by a newer sync request (or a
// spec change): the revision it waited for may be replaced, so the sync
// stops waiting and starts again. Its commit status stays open until the
// next sync supersedes or finishes it.
var errSuperseded = errors.New("a newer sync request arrived while waiting")

// interrupts lets a sync request cut short the health wait of the same
// GitSync's running sync (controller-runtime runs one reconcile per
// GitSync at a time, so without this a new revision waits for the whole
// health timeout of the one before).
type interrupts struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*waiter
}

type waiter struct{ cancel context.CancelCauseFunc }

// during returns a context the next interrupt(key) cancels with
// errSuperseded, and a func ending that.
func (in *interrupts) during(ctx context.Context, key types.NamespacedName) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &waiter{cancel: cancel}
	in.mu.Lock()
	if in.m == nil {
		in.m = map[types.NamespacedName]*waiter{}
	}
	in.m[key] = w
	in.mu.Unlock()
	return ctx, func() {
		in.mu.Lock()
		if in.m[key] == w {
			delete(in.m, key)
		}
		in.mu.Unlock()
		cancel(nil)
	}
}

func (in *interrupts) interrupt(key types.NamespacedName) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if w := in.m[key]; w != nil {
		w.cancel(errSuperseded)
	}
}

// interruptWaits is a predicate that passes nothing: it sees each update
// that asks for a sync (the sync-requested annotation, or a new
// generation) and cuts short a health wait of that GitSync in progress.
func interruptWaits(in *interrupts) predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			key := v1alpha1.AnnotationSyncRequested
			if e.ObjectOld.GetAnnotations()[key] != e.ObjectNew.GetAnnotations()[key] ||
				e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() {
				in.interrupt(types.NamespacedName{Namespace: e.ObjectNew.GetNamespace(), Name: e.ObjectNew.GetName()})
			}
			return false
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// markSuperseded records a sync whose health wait a newer request cut
// short: Ready stays as it was (the next sync, queued already, decides),
// Reconciling says why.
func markSuperseded(gs *v1alpha1.GitSync, o *Outcome) {
	setCondition(gs, v1alpha1.ConditionReconciling, "True", v1alpha1.ReasonSuperseded,
		"revision "+short(o.Revision)+" was applied; its health wait was cut short by a newer sync request")
}

// superseded reports whether a newer sync request cut the sync short.
func (o *Outcome) superseded() bool {
	return o.Err != nil && errors.Is(o.Err, errSuperseded)
}
