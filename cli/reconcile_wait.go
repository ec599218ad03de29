package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// requestSync sets the seal.dev/sync-requested annotation to token and
// returns the GitSync as written.
func requestSync(ctx context.Context, c client.Client, where string, gs *v1alpha1.GitSync, token string) (*v1alpha1.GitSync, error) {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationSyncRequested, token)
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	out := gs.DeepCopy()
	if err := c.Patch(ctx, out, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		return nil, kubeError(err, where, "setting "+v1alpha1.AnnotationSyncRequested+" on GitSync "+client.ObjectKeyFromObject(gs).String())
	}
	return out, nil
}

// handled reports whether the agent has finished the sync that the
// request token asked for: it copies the seal.dev/sync-requested value a
// sync started with into status.lastHandledSyncRequest when that sync
// ends (Flux's handshake), so older syncs, and syncs that changed nothing
// and wrote no other status, cannot be mistaken for it.
func handled(gs *v1alpha1.GitSync, token string) bool {
	return gs.Status.LastHandledSyncRequest == token
}

// waitSyncEnded watches gs from the resourceVersion it was read at until
// the agent handled token, and returns it then. A watch the API server ends is
// reopened after a fresh read, which is checked first.
func waitSyncEnded(ctx context.Context, c client.WithWatch, where string, gs *v1alpha1.GitSync, token string, timeout time.Duration) (*v1alpha1.GitSync, error) {
	key := client.ObjectKeyFromObject(gs)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if handled(gs, token) {
			return gs, nil
		}
		next, err := watchUntilEnded(ctx, c, gs, token)
		if err == nil && next != nil {
			return next, nil
		}
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, withHint(fmt.Errorf("GitSync %s: no outcome of the requested sync within %s", key, timeout),
					"is seal-agent running? kubectl -n %s get pods lists it; seal status %s -n %s shows the GitSync", defaultAgentNamespace, key.Name, key.Namespace)
			}
			return nil, ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			continue
		case <-time.After(rewatchDelay):
		}
		fresh, err := getGitSync(ctx, c, where, key)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return nil, err
		}
		gs = fresh
	}
}

// watchUntilEnded runs one watch request from gs's resourceVersion. It
// returns the GitSync once the agent handled token, or nil when the watch ended
// first (the API server closed it, or the resourceVersion was too old).
func watchUntilEnded(ctx context.Context, c client.WithWatch, gs *v1alpha1.GitSync, token string) (*v1alpha1.GitSync, error) {
	key := client.ObjectKeyFromObject(gs)
	w, err := c.Watch(ctx, &v1alpha1.GitSyncList{}, client.InNamespace(key.Namespace),
		client.MatchingFields{"metadata.name": key.Name},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: gs.ResourceVersion, AllowWatchBookmarks: true}})
	if err != nil {
		if ctx.Err() != nil || apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
			return nil, nil
		}
		return nil, kubeError(err, "", "watching GitSync "+key.String())
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case ev, open := <-w.ResultChan():
			if !open {
				return nil, nil
			}
			switch ev.Type {
			case watch.Error:
				return nil, nil
			case watch.Deleted:
				return nil, fmt.Errorf("GitSync %s was deleted while waiting for its sync", key)
			case watch.Added, watch.Modified:
				got, ok := ev.Object.(*v1alpha1.GitSync)
				if !ok || got.Name != key.Name || got.Namespace != key.Namespace {
					continue
				}
				if handled(got, token) {
					return got, nil
				}
			}
		}
	}
}

// syncOutcome describes how the sync ended, and whether the GitSync is
// Ready.
func syncOutcome(gs *v1alpha1.GitSync) (string, bool) {
	if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling); c != nil && c.Reason == v1alpha1.ReasonSuspended {
		return "suspended before the sync ran: " + oneLine(c.Message), false
	}
	row := gitSyncRow(gs)
	rev := gs.Status.LastAttemptedRevision
	if rev == "" {
		rev = "-"
	}
	rev = rev[:min(len(rev), v1alpha1.ShortRevisionLength)]
	return fmt.Sprintf("Ready=%s (%s) at revision %s: %s", row.Ready, gitSyncReason(gs), rev, row.Message),
		row.Ready == string(metav1.ConditionTrue)
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
