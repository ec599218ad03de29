package health

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// maxGets is the most objects of one group that read fetches one by one;
// above it, one LIST of the group is cheaper. A LIST without a
// resourceVersion is served from the API server's watch cache once the
// cache has caught up with etcd, and a kind that saw no write since the
// last one anywhere in the cluster needs a progress notification from etcd
// for that (the API server asks for one every 100 ms): such a LIST took
// 60 to 80 ms where a GET, read from etcd, took one or two.
const maxGets = 8

// read computes the status of each named object of the group and returns
// the resourceVersion to watch the group from. When the objects are few it
// reads them with a GET each, and when they are all Current that is all:
// nothing to watch. Otherwise (many objects, one not healthy yet, or an
// account that may list and watch the kind but not get it) it lists the
// group, so one watch of the group follows, never one per object.
func (c *Checker) read(ctx context.Context, g group, names map[string]Result) (string, error) {
	if len(names) <= maxGets {
		err := c.get(ctx, g, names)
		if err == nil && allCurrent(names) {
			return "", nil
		}
		if err != nil && !apierrors.IsForbidden(err) {
			return "", err
		}
	}
	return c.list(ctx, g, names)
}

// get reads the named objects one by one. It stops at the first error,
// and at the first object not Current: read lists the group then anyway.
func (c *Checker) get(ctx context.Context, g group, names map[string]Result) error {
	for name := range names {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(g.gvk)
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: g.namespace, Name: name}, u)
		switch {
		case apierrors.IsNotFound(err):
			names[name] = Result{Status: status.NotFoundStatus, Message: "not found"}
		case err != nil:
			return fmt.Errorf("reading %s to check health: %w", Object{GVK: g.gvk, Namespace: g.namespace, Name: name}, err)
		default:
			names[name] = compute(u)
		}
		if names[name].Status != status.CurrentStatus {
			return nil
		}
	}
	return nil
}

// list reads the group's objects and computes each one's status; it
// returns the list's resourceVersion, where the watch starts.
func (c *Checker) list(ctx context.Context, g group, names map[string]Result) (string, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(g.gvk.GroupVersion().WithKind(g.gvk.Kind + "List"))
	if err := c.Client.List(ctx, list, client.InNamespace(g.namespace)); err != nil {
		return "", fmt.Errorf("reading %s to check health: %w", describe(g), err)
	}
	for name := range names {
		names[name] = Result{Status: status.NotFoundStatus, Message: "not found"}
	}
	for i := range list.Items {
		if _, ok := names[list.Items[i].GetName()]; ok {
			names[list.Items[i].GetName()] = compute(&list.Items[i])
		}
	}
	return list.GetResourceVersion(), nil
}
