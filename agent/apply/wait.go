package apply

import (
	"context"
	"errors"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pollInterval is how often waitForCRDs looks again.
const pollInterval = 100 * time.Millisecond

// waitForCRDs waits until every CRD written in this sync is established
// and the REST mapper maps each of its served versions, so that objects of
// its kinds can be dry-run and applied.
func (a *Applier) waitForCRDs(ctx context.Context, items []*item) error {
	var crds []*item
	for _, it := range items {
		if it.crd != nil && it.write {
			crds = append(crds, it)
		}
	}
	errs := a.each(ctx, crds, a.waitForCRD)
	if len(errs) > 0 {
		return errs
	}
	return ctx.Err()
}

func (a *Applier) waitForCRD(ctx context.Context, it *item) error {
	gk := schema.GroupKind{Group: it.crd.Spec.Group, Kind: it.crd.Spec.Names.Kind}
	var versions []string
	for _, v := range it.crd.Spec.Versions {
		if v.Served {
			versions = append(versions, v.Name)
		}
	}
	last := "not yet established"
	err := wait.PollUntilContextTimeout(ctx, pollInterval, a.opts.WaitTimeout, true, func(ctx context.Context) (bool, error) {
		rv, msg, err := a.established(ctx, it.ref)
		if err != nil || rv == "" {
			last = msg
			return false, err
		}
		for _, v := range versions {
			if _, err := a.mapper.RESTMapping(gk, v); err != nil {
				last = fmt.Sprintf("version %s of %s not served yet", v, gk)
				return false, nil
			}
		}
		// The apiextensions controller wrote the conditions after our
		// apply: remember this resourceVersion, not the apply's, or the
		// next sync would take the status update for drift.
		it.newRV = rv
		return true, nil
	})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if oe := (*ObjectError)(nil); errors.As(err, &oe) {
		return oe
	}
	return &ObjectError{Ref: it.ref, Err: fmt.Errorf("%w within %s: %s", ErrNotEstablished, a.opts.WaitTimeout, last)}
}

// established reads the CRD's conditions and returns its resourceVersion
// once it is established, else why not. A CRD whose names were not
// accepted will never be established: that is an error, not a wait.
func (a *Applier) established(ctx context.Context, ref Ref) (rv, msg string, err error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(ref.GroupVersionKind())
	if err := a.client.Get(ctx, client.ObjectKey{Name: ref.Name}, u); err != nil {
		return "", err.Error(), nil
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
		return "", "", &ObjectError{Ref: ref, Err: fmt.Errorf("decoding: %w", err)}
	}
	for _, c := range crd.Status.Conditions {
		switch {
		case c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionFalse:
			return "", "", &ObjectError{Ref: ref, Err: fmt.Errorf("names not accepted: %s", c.Message)}
		case c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue:
			return u.GetResourceVersion(), "", nil
		}
	}
	return "", "not yet established", nil
}
