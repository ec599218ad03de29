package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// dependsOnIndex is the field index of the agent's GitSync cache that
// lists, for a GitSync "namespace/name", the GitSyncs whose spec.dependsOn
// names it.
const dependsOnIndex = "seal.dev/dependsOn"

// indexDependsOn is the dependsOnIndex of one GitSync: the keys of the
// GitSyncs it depends on.
func indexDependsOn(o client.Object) []string {
	gs, ok := o.(*v1alpha1.GitSync)
	if !ok || len(gs.Spec.DependsOn) == 0 {
		return nil
	}
	keys := make([]string, 0, len(gs.Spec.DependsOn))
	for _, d := range gs.Spec.DependsOn {
		keys = append(keys, d.Key(gs.Namespace).String())
	}
	return keys
}

// dependants lists the GitSyncs (in the agent's cache) that depend on o,
// to be synced now that it became Ready.
func dependants(c client.Reader) func(ctx context.Context, o client.Object) []reconcile.Request {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		key := types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
		var list v1alpha1.GitSyncList
		if err := c.List(ctx, &list, client.MatchingFields{dependsOnIndex: key.String()}); err != nil {
			log.FromContext(ctx).Info("could not list the GitSyncs that depend on a GitSync", "gitsync", key.String(), "error", err.Error())
			return nil
		}
		out := make([]reconcile.Request, 0, len(list.Items))
		for _, gs := range list.Items {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}})
		}
		return out
	}
}

// becameReady passes the updates that make a GitSync Ready at its latest
// revision, which its dependants wait for.
func becameReady() predicate.Predicate {
	readyAt := func(o client.Object) bool {
		gs, ok := o.(*v1alpha1.GitSync)
		if !ok {
			return false
		}
		ready, _ := gs.ReadyAtLatest()
		return ready
	}
	return predicate.Funcs{
		UpdateFunc:  func(e event.UpdateEvent) bool { return !readyAt(e.ObjectOld) && readyAt(e.ObjectNew) },
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
