package apply

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// validate dry-runs, before anything is written, every item that is going
// to be written: the first stage, then those of the second whose check does
// not depend on it. It returns the second-stage items that do (their
// namespace is a Namespace of the set not yet in the cluster, or their kind
// is defined by a CRD the set changes): validateDeferred checks them once
// the first stage is applied.
func (a *Applier) validate(ctx context.Context, first, second []*item) ([]*item, error) {
	errs := a.dryRun(ctx, toWrite(first))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	newNamespaces := map[string]bool{}
	changedCRDs := map[schema.GroupKind]bool{}
	for _, it := range toWrite(first) {
		switch {
		case it.ref.isNamespace() && !it.exists:
			newNamespaces[it.ref.Name] = true
		case it.crd != nil:
			changedCRDs[schema.GroupKind{Group: it.crd.Spec.Group, Kind: it.crd.Spec.Names.Kind}] = true
		}
	}
	var now, deferred []*item
	for _, it := range toWrite(second) {
		if newNamespaces[it.ref.Namespace] || changedCRDs[it.groupKind()] {
			deferred = append(deferred, it)
		} else {
			now = append(now, it)
		}
	}
	errs = append(errs, a.dryRun(ctx, now)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, &ValidationError{Objects: errs}
	}
	return deferred, nil
}

// validateDeferred dry-runs the items validate put off.
func (a *Applier) validateDeferred(ctx context.Context, deferred []*item) error {
	errs := a.dryRun(ctx, deferred)
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(errs) > 0 {
		return &ValidationError{Objects: errs, Partial: true}
	}
	return nil
}

// dryRun sends a server-side dry-run apply for each item, in parallel, and
// records whether the object exists and its current resourceVersion.
func (a *Applier) dryRun(ctx context.Context, items []*item) ObjectErrors {
	return a.each(ctx, items, func(ctx context.Context, it *item) error {
		rv, err := a.applyObject(ctx, it, true)
		if err != nil {
			return err
		}
		it.dryRV, it.exists, it.dried = rv, rv != "", true
		return nil
	})
}
