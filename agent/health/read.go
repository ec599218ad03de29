package health

import (
	"context"
	"fmt"
	"maps"
	"slices"

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

// watchFrom is where a watch starts: one object of the group (name set)
// or all of it, after resourceVersion rv ("" for now).
type watchFrom struct {
	group group
	name  string
	rv    string
}

// current reports whether what from watches is Current already.
func (from watchFrom) current(names map[string]Result) bool {
	if from.name != "" {
		return names[from.name].Status == status.CurrentStatus
	}
	return allCurrent(names)
}

// read computes the status of each named object of the group, with a GET
// each when they are few (and the account may get them), else with one
// LIST, and returns where to watch them from.
func (c *Checker) read(ctx context.Context, g group, names map[string]Result) ([]watchFrom, error) {
	if len(names) <= maxGets {
		from, err := c.get(ctx, g, names)
		if !apierrors.IsForbidden(err) {
			return from, err
		}
		// An account may list and watch a kind without get on it.
	}
	rv, err := c.list(ctx, g, names)
	if err != nil {
		return nil, err
	}
	return []watchFrom{{group: g, rv: rv}}, nil
}

// get reads the named objects one by one. A missing one is watched from
// now, so its creation shows.
func (c *Checker) get(ctx context.Context, g group, names map[string]Result) ([]watchFrom, error) {
	var from []watchFrom
	for _, name := range slices.Sorted(maps.Keys(names)) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(g.gvk)
		err := c.Client.Get(ctx, client.ObjectKey{Namespace: g.namespace, Name: name}, u)
		switch {
		case apierrors.IsNotFound(err):
			names[name] = Result{Status: status.NotFoundStatus, Message: "not found"}
			from = append(from, watchFrom{group: g, name: name})
		case err != nil:
			return nil, fmt.Errorf("reading %s to check health: %w", Object{GVK: g.gvk, Namespace: g.namespace, Name: name}, err)
		default:
			names[name] = compute(u)
			from = append(from, watchFrom{group: g, name: name, rv: u.GetResourceVersion()})
		}
	}
	return from, nil
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
