package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Prune deletes the stale objects (see Stale) that still carry all of
// Options.Labels, in order: namespaced and other objects first, then
// Namespaces, then CRDs, each group in parallel, with background
// propagation. It never deletes an object annotated seal.dev/prune:
// disabled, the agent's own namespace (Options.AgentNamespace), an object
// of the set last passed to Apply, or an object that changed between the
// check and the delete. An object already gone counts as deleted.
//
// The Result lists each object as Deleted or Skipped with a reason. If a
// group has failures, later groups are left for the next sync; the error
// is ObjectErrors.
func (a *Applier) Prune(ctx context.Context, stale []Ref) (*Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var groups [3][]Ref
	for _, r := range stale {
		switch {
		case r.isCRD():
			groups[2] = append(groups[2], r)
		case r.isNamespace():
			groups[1] = append(groups[1], r)
		default:
			groups[0] = append(groups[0], r)
		}
	}
	res := &Result{}
	defer res.sort()
	for _, refs := range groups {
		results := make([]ObjectResult, len(refs))
		errs := parallel(ctx, len(refs), a.opts.Concurrency, func(ctx context.Context, i int) error {
			var err error
			results[i], err = a.pruneOne(ctx, refs[i])
			return err
		})
		var failed ObjectErrors
		for i, err := range errs {
			if err != nil {
				failed = append(failed, &ObjectError{Ref: refs[i], Err: redact(refs[i], err)})
				continue
			}
			res.Objects = append(res.Objects, results[i])
			if results[i].Action == Deleted {
				delete(a.memory, refs[i].String())
			}
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if len(failed) > 0 {
			sortErrors(failed)
			return res, failed
		}
	}
	return res, nil
}

// pruneOne checks and deletes one object.
func (a *Applier) pruneOne(ctx context.Context, ref Ref) (ObjectResult, error) {
	skip := func(why string) (ObjectResult, error) {
		return ObjectResult{Ref: ref, Action: Skipped, Reason: why}, nil
	}
	gone := func(why string) (ObjectResult, error) {
		return ObjectResult{Ref: ref, Action: Deleted, Reason: why}, nil
	}
	switch {
	case a.desired[ref.identity()]:
		return skip("still in the applied set")
	case ref.isNamespace() && a.opts.AgentNamespace != "" && ref.Name == a.opts.AgentNamespace:
		return skip("the agent's own namespace")
	}
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(ref.GroupVersionKind())
	err := a.client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj)
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return gone("already gone")
	case err != nil:
		return ObjectResult{}, fmt.Errorf("reading before delete: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(a.opts.Labels)) {
		if v, ok := obj.Labels[k]; !ok || v != a.opts.Labels[k] {
			return skip(fmt.Sprintf("lacks the ownership label %s=%s", k, a.opts.Labels[k]))
		}
	}
	if obj.Annotations[PruneAnnotation] == PruneDisabled {
		return skip(fmt.Sprintf("annotated %s: %s", PruneAnnotation, PruneDisabled))
	}
	if obj.DeletionTimestamp != nil {
		return gone("deletion already in progress")
	}
	// The preconditions make sure that what is deleted is what was checked:
	// not a new object of the same name, not one relabelled meanwhile.
	uid, rv := obj.UID, obj.ResourceVersion
	err = a.client.Delete(ctx, obj,
		client.PropagationPolicy(metav1.DeletePropagationBackground),
		client.Preconditions{UID: &uid, ResourceVersion: &rv})
	switch {
	case apierrors.IsNotFound(err):
		return gone("already gone")
	case apierrors.IsConflict(err):
		return ObjectResult{}, fmt.Errorf("changed while being pruned, left for the next sync: %w", err)
	case err != nil:
		return ObjectResult{}, fmt.Errorf("deleting: %w", err)
	}
	return gone("")
}
