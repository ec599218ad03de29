package cli

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// rewatchDelay is the pause before a watch the API server ended is
// opened again.
const rewatchDelay = time.Second

// watchGitSyncs watches the GitSyncs in scope from resourceVersion rv, at
// which the caller saw items, and calls onEvent for each added, changed or deleted one until ctx ends. A
// watch the API server closes (they time out) is reopened where it left
// off; when that point is too old to resume from, the GitSyncs are listed
// again and every difference reported. It returns nil once ctx ends.
func watchGitSyncs(ctx context.Context, c client.WithWatch, where string, scope statusScope,
	items []*v1alpha1.GitSync, rv string, onEvent func(watch.EventType, *v1alpha1.GitSync)) error {
	w := &gitSyncWatch{c: c, where: where, scope: scope, rv: rv, onEvent: onEvent, known: map[string]*v1alpha1.GitSync{}}
	for _, gs := range items {
		w.known[gitSyncKey(gs)] = gs
	}
	for ctx.Err() == nil {
		expired, err := w.once(ctx)
		if err != nil {
			return err
		}
		if expired {
			if err := w.relist(ctx); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(rewatchDelay):
		}
	}
	return nil
}

type gitSyncWatch struct {
	c       client.WithWatch
	where   string
	scope   statusScope
	rv      string
	onEvent func(watch.EventType, *v1alpha1.GitSync)
	known   map[string]*v1alpha1.GitSync // what the caller was last told
}

// once runs one watch request to its end. expired reports that rv was too
// old to resume from.
func (w *gitSyncWatch) once(ctx context.Context) (expired bool, err error) {
	opts := append(w.scope.listOptions(), &client.ListOptions{Raw: &metav1.ListOptions{
		ResourceVersion: w.rv, AllowWatchBookmarks: true,
	}})
	wi, err := w.c.Watch(ctx, &v1alpha1.GitSyncList{}, opts...)
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return true, nil
		}
		return false, kubeError(err, w.where, "watching GitSyncs "+w.scope.where())
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return false, nil
			}
			if ev.Type == watch.Error {
				status := apierrors.FromObject(ev.Object)
				if apierrors.IsResourceExpired(status) || apierrors.IsGone(status) {
					return true, nil
				}
				return false, fmt.Errorf("watching GitSyncs %s: %w", w.scope.where(), status)
			}
			gs, ok := ev.Object.(*v1alpha1.GitSync)
			if !ok {
				continue
			}
			w.rv = gs.ResourceVersion
			if ev.Type == watch.Bookmark {
				continue
			}
			w.report(ev.Type, gs)
		}
	}
}

// relist lists the GitSyncs again and tells the caller of every difference
// from what it knew.
func (w *gitSyncWatch) relist(ctx context.Context) error {
	items, rv, err := listGitSyncs(ctx, w.c, w.where, w.scope)
	if err != nil {
		return err
	}
	w.rv = rv
	seen := map[string]bool{}
	for _, gs := range items {
		seen[gitSyncKey(gs)] = true
		if old, ok := w.known[gitSyncKey(gs)]; !ok || old.ResourceVersion != gs.ResourceVersion {
			w.report(watch.Modified, gs)
		}
	}
	for key, gs := range w.known {
		if !seen[key] {
			w.report(watch.Deleted, gs)
		}
	}
	return nil
}

func (w *gitSyncWatch) report(typ watch.EventType, gs *v1alpha1.GitSync) {
	if typ == watch.Deleted {
		delete(w.known, gitSyncKey(gs))
	} else {
		w.known[gitSyncKey(gs)] = gs
	}
	w.onEvent(typ, gs)
}
