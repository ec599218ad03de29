package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// record writes the outcome of a sync into gs's status, an event and the
// metrics. A sync that changed nothing leaves the status as it was, sends
// no event, and so costs the API server no write.
func (r *Reconciler) record(ctx context.Context, gs *v1alpha1.GitSync, out *outcome, serr *stageError, took time.Duration) {
	logger := log.FromContext(ctx)
	reason := v1alpha1.ReasonSucceeded
	if serr != nil {
		reason = serr.reason
	}
	r.Metrics.syncDuration.WithLabelValues(gs.Namespace, gs.Name, reason).Observe(took.Seconds())
	if reason == v1alpha1.ReasonDecryptionFailed {
		r.Metrics.decryptionFailures.WithLabelValues(gs.Namespace, gs.Name).Inc()
	}
	if out != nil && out.applied != nil {
		r.recordApplied(ctx, gs, out, took)
	}
	meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionReconciling)
	if serr != nil {
		msg := serr.Error()
		setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionFalse, serr.reason, msg)
		if serr.reason == v1alpha1.ReasonInvalidSpec {
			setCondition(gs, v1alpha1.ConditionStalled, metav1.ConditionTrue, serr.reason, msg)
		} else {
			meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionStalled)
		}
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, serr.reason, "Sync", "%s", msg)
		logger.Info("sync failed", "reason", serr.reason, "error", msg, "revision", gs.Status.LastAttemptedRevision)
		return
	}
	meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionStalled)
	gs.Status.SetLastAppliedRevision(out.revision)
	setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonSucceeded,
		fmt.Sprintf("Applied revision %s (%d objects)", short(out.revision), len(out.inventory)))
}

// recordApplied records what Apply and Prune did: inventory, counts, keys,
// metrics and, when something changed, an event.
func (r *Reconciler) recordApplied(ctx context.Context, gs *v1alpha1.GitSync, out *outcome, took time.Duration) {
	counts := out.applied.Counts()
	pruned := 0
	if out.pruned != nil {
		pruned = out.pruned.Count(apply.Deleted)
		for action, n := range out.pruned.Counts() {
			counts[action] += n
		}
	}
	for action, n := range counts {
		r.Metrics.objects.WithLabelValues(gs.Namespace, gs.Name, string(action)).Add(float64(n))
	}
	drift := counts[apply.DriftCorrected]
	if drift > 0 {
		r.Metrics.driftCorrections.WithLabelValues(gs.Namespace, gs.Name).Add(float64(drift))
	}
	gs.Status.Inventory = inventoryEntries(out.inventory)
	gs.Status.DecryptionKeys = keyUsage(out.keyUsage)
	gs.Status.UnboundFiles = out.unbound

	changed := out.applied.Changed() || pruned > 0 || out.revision != gs.Status.LastAppliedRevision
	summary := out.applied.Summary()
	if pruned > 0 {
		summary += fmt.Sprintf(", %d pruned", pruned)
	}
	logger := log.FromContext(ctx)
	if !changed {
		logger = logger.V(1) // a resync that found nothing to do is routine
	}
	if len(out.unbound) > 0 {
		logger.Info("sealed values without a sealed identity accepted by spec.decryption.allowUnbound", "files", out.unbound)
	}
	logger.Info("synced", "revision", out.revision, "objects", len(out.inventory), "summary", summary,
		"duration", took.Round(time.Millisecond).String(), "fetch", out.stages.fetch.Round(time.Millisecond).String(),
		"render", out.stages.render.Round(time.Millisecond).String(), "apply", out.stages.apply.Round(time.Millisecond).String(),
		"prune", out.stages.prune.Round(time.Millisecond).String())
	if !changed && gs.Status.LastSync != nil {
		return // keep the last sync that did something; see the API docs
	}
	gs.Status.LastSync = &v1alpha1.SyncSummary{
		Created:        int32(counts[apply.Created]),
		Configured:     int32(counts[apply.Configured]),
		Unchanged:      int32(counts[apply.Unchanged]),
		Pruned:         int32(pruned),
		DriftCorrected: int32(drift),
		Duration:       metav1.Duration{Duration: took.Round(time.Millisecond)},
		Time:           metav1.Now(),
	}
	if !changed {
		return
	}
	// Before Succeeded, so that whoever sees that one can see this one.
	if len(out.unbound) > 0 {
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, v1alpha1.ReasonUnboundSecrets, "Sync",
			"%s: sealed values without a sealed identity (encrypted with the sops CLI, or without a namespace) were applied because spec.decryption.allowUnbound is true: nothing proves they belong to the Secrets they landed in; open each file with `seal edit` and save it to seal it",
			unboundList(out.unbound))
	}
	r.Recorder.Eventf(gs, nil, corev1.EventTypeNormal, v1alpha1.ReasonSucceeded, "Sync", "Applied revision %s: %s", short(out.revision), summary)
	if drift > 0 {
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, "DriftCorrected", "Sync",
			"%d object(s) changed or deleted in the cluster were put back to revision %s", drift, short(out.revision))
	}
}

func markSuspended(gs *v1alpha1.GitSync) {
	setCondition(gs, v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonSuspended,
		"spec.suspend is true: not syncing until it is false")
}

func setCondition(gs *v1alpha1.GitSync, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&gs.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gs.Generation,
	})
}

func keyUsage(m map[string]int) []v1alpha1.KeyUsage {
	out := make([]v1alpha1.KeyUsage, 0, len(m))
	for fp, n := range m {
		out = append(out, v1alpha1.KeyUsage{Fingerprint: fp, Files: int32(n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Fingerprint < out[j].Fingerprint })
	if len(out) == 0 {
		return nil
	}
	return out
}

// readyMessage is the Ready condition's message.
func readyMessage(gs *v1alpha1.GitSync) string {
	if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// unboundList names up to five files, and how many more there are.
func unboundList(files []string) string {
	const most = 5
	if len(files) <= most {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(files[:most], ", "), len(files)-most)
}
