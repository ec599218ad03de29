package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// poll checks cond every 200ms until it holds, timeout passes, ctx ends or
// seal-agent exits.
func (d *demo) poll(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := cond()
		if err == nil && ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		if d.agent != nil && d.agent.Exited() {
			exitErr, _ := d.agent.Stop(0)
			return fmt.Errorf("seal-agent exited (%s) while the demo waited for %s", exitStatus(exitErr), what)
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("timed out after %s waiting for %s (last error: %w)", timeout, what, lastErr)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// gitSync reads the demo's GitSync.
func (d *demo) gitSync(ctx context.Context) (*v1alpha1.GitSync, error) {
	var gs v1alpha1.GitSync
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: agentNamespace, Name: syncName}, &gs); err != nil {
		return nil, fmt.Errorf("GitSync %s/%s: %w", agentNamespace, syncName, err)
	}
	return &gs, nil
}

// waitSynced waits until the GitSync is Ready with sha applied, and
// returns it. On timeout the error carries the Ready condition, which says
// what went wrong.
func (d *demo) waitSynced(ctx context.Context, sha string) (*v1alpha1.GitSync, error) {
	var gs *v1alpha1.GitSync
	err := d.poll(ctx, time.Minute, "GitSync "+syncName+" to apply "+sha[:8], func() (bool, error) {
		var err error
		if gs, err = d.gitSync(ctx); err != nil {
			return false, err
		}
		if _, err := d.standInForControllers(ctx, gs); err != nil {
			return false, err
		}
		ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
		return ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == gs.Generation &&
			gs.Status.LastAppliedRevision == sha, nil
	})
	if err != nil && gs != nil && ctx.Err() == nil {
		if ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady); ready != nil {
			return nil, fmt.Errorf("%w; Ready=%s (%s): %s", err, ready.Status, ready.Reason, ready.Message)
		}
	}
	if err != nil {
		return nil, err
	}
	d.revision = sha
	return gs, nil
}

// summary says in words what the last sync did: "4 created in 0.2s".
func summary(s *v1alpha1.SyncSummary) string {
	if s == nil {
		return "no summary recorded"
	}
	var parts []string
	for _, c := range []struct {
		n    int32
		verb string
	}{
		{s.Created, "created"}, {s.Configured, "configured"}, {s.DriftCorrected, "drift corrected"},
		{s.Pruned, "pruned"}, {s.Unchanged, "unchanged"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.verb))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to do")
	}
	return strings.Join(parts, ", ") + " in " + seconds(s.Duration.Duration)
}

// firstLine is the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
