package controller

import (
	"context"
	"errors"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/health"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// healthStage waits, with the GitSync's client, for what the sync applied
// (when spec.wait is on) and for spec.healthChecks.
type healthStage struct {
	// interrupts cut the wait short when a newer sync is requested.
	interrupts *interrupts
	key        types.NamespacedName
	checker    *health.Checker
	applied    bool // wait for the applied objects (spec.wait)
	extra      []health.Object
}

func newHealthStage(gs *v1alpha1.GitSync, rec *record, in *interrupts) *healthStage {
	h := &healthStage{checker: &health.Checker{Client: rec.client}, applied: gs.Spec.WaitEnabled(),
		interrupts: in, key: types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}}
	for _, c := range gs.Spec.HealthChecks {
		ns := c.Namespace
		h.extra = append(h.extra, health.Object{GVK: schema.FromAPIVersionAndKind(c.APIVersion, c.Kind), Namespace: ns, Name: c.Name})
	}
	return h
}

func (h *healthStage) Wait(ctx context.Context, refs []apply.Ref, waiting func(string)) error {
	var objects []health.Object
	if h.applied {
		for _, r := range refs {
			objects = append(objects, health.Object{GVK: r.GroupVersionKind(), Namespace: r.Namespace, Name: r.Name})
		}
	}
	objects = append(objects, h.extra...)
	if h.interrupts != nil {
		var done func()
		ctx, done = h.interrupts.during(ctx, h.key)
		defer done()
	}
	err := h.checker.Wait(ctx, objects, waiting)
	if err != nil && errors.Is(context.Cause(ctx), errSuperseded) {
		return errSuperseded
	}
	return err
}
