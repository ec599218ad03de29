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

// record writes the outcome of a sync into gs's status, events and the
// metrics. A sync that changed nothing leaves the status as it was, sends
// no event, and so costs the API server no write.
func (r *Reconciler) record(ctx context.Context, gs *v1alpha1.GitSync, o *Outcome, took time.Duration) {
	logger := log.FromContext(ctx)
	if o.Revision != "" {
		gs.Status.LastAttemptedRevision = o.Revision
	}
	if o.Err == nil || o.Err.Stage != StageSource {
		gs.Status.VerifiedSigner = o.Signer
	}
	r.Metrics.observe(gs, o, took)
	if o.Applied != nil {
		r.recordApplied(ctx, gs, o, took)
	}
	if o.NotifyErr != nil {
		logger.Info("commit status not sent", "error", o.NotifyErr.Error())
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, "CommitStatusFailed", "Notify", "%s", o.NotifyErr.Error())
	}
	r.recordCommitStatus(gs, o)
	meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionReconciling)
	if o.superseded() {
		markSuperseded(gs, o)
		recordHistory(gs, o, time.Now())
		return
	}
	if serr := o.Err; serr != nil {
		msg := serr.Error()
		setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionFalse, serr.Reason, msg)
		if serr.Stalled {
			setCondition(gs, v1alpha1.ConditionStalled, metav1.ConditionTrue, serr.Reason, msg)
		} else {
			meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionStalled)
		}
		recordHistory(gs, o, time.Now())
		if o.Revision != "" {
			r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, serr.Reason, "Sync", "%s", capText(byline(o)+": "+msg, maxEventNote))
		} else {
			r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, serr.Reason, "Sync", "%s", msg)
		}
		logger.Info("sync failed", "reason", serr.Reason, "stage", serr.Stage, "error", msg, "revision", gs.Status.LastAttemptedRevision)
		return
	}
	meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionStalled)
	gs.Status.SetLastAppliedRevision(o.Revision)
	gs.Status.AppliedDigest = o.Digest
	setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonSucceeded, readyMessage(o))
	recordHistory(gs, o, time.Now())
}

// readyMessage is the Ready condition's message of a successful sync.
func readyMessage(o *Outcome) string {
	return fmt.Sprintf("Applied revision %s (%d objects)", short(o.Revision), len(o.Inventory))
}

// recordApplied records what Apply and Prune did: inventory, counts, keys,
// metrics and, when something changed, an event.
func (r *Reconciler) recordApplied(ctx context.Context, gs *v1alpha1.GitSync, o *Outcome, took time.Duration) {
	counts := o.Applied.Counts()
	pruned := 0
	if o.Pruned != nil {
		pruned = o.Pruned.Count(apply.Deleted)
		for action, n := range o.Pruned.Counts() {
			counts[action] += n
		}
	}
	r.Metrics.countObjects(gs, counts)
	drift := counts[apply.DriftCorrected]
	gs.Status.AppliedObjects = inventoryEntries(o.Inventory)
	gs.Status.Inventory = nil // what an older agent wrote, now in AppliedObjects
	gs.Status.DecryptionKeys = keyUsage(o.KeyUsage)
	gs.Status.UnboundFiles = o.Unbound
	gs.Status.HelmReleases = o.Releases

	changed := o.Applied.Changed() || pruned > 0 || o.Revision != gs.Status.LastAppliedRevision
	summary := o.Applied.Summary()
	if pruned > 0 {
		summary += fmt.Sprintf(", %d pruned", pruned)
	}
	logger := log.FromContext(ctx)
	if !changed {
		logger = logger.V(1) // a resync that found nothing to do is routine
	}
	for _, rel := range o.Releases {
		if len(rel.Widened) > 0 {
			logger.Info("sealed values of a Helm release applied outside Secrets, as its sealedValues.allowKinds allows",
				"release", rel.Namespace+"/"+rel.Name, "allowKinds", rel.AllowKinds, "places", rel.Widened)
		}
	}
	if len(o.Unbound) > 0 {
		logger.Info("sealed values without a sealed identity accepted by spec.decryption.allowUnbound", "files", o.Unbound)
	}
	kv := []any{"revision", o.Revision, "objects", len(o.Inventory), "summary", summary, "duration", took.Round(time.Millisecond).String()}
	for _, d := range o.Durations {
		kv = append(kv, d.Stage, d.Duration.Round(time.Millisecond).String())
	}
	logger.Info("synced", kv...)
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
	if len(o.Unbound) > 0 {
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, v1alpha1.ReasonUnboundSecrets, "Sync",
			"%s: sealed values without a sealed identity (encrypted with the sops CLI, or without a namespace) were applied because spec.decryption.allowUnbound is true: nothing proves they belong to the Secrets they landed in; open each file with `seal edit` and save it to seal it",
			unboundList(o.Unbound))
	}
	r.Recorder.Eventf(gs, nil, corev1.EventTypeNormal, v1alpha1.ReasonSucceeded, "Sync", "Applied %s: %s", byline(o), summary)
	if drift > 0 {
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, "DriftCorrected", "Sync",
			"%d object(s) changed or deleted in the cluster were put back to revision %s", drift, short(o.Revision))
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

// unboundList names up to five files, and how many more there are.
func unboundList(files []string) string {
	const most = 5
	if len(files) <= most {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(files[:most], ", "), len(files)-most)
}

// notDeleted lists the stale objects that prune did not delete.
func notDeleted(stale []apply.Ref, pruned *apply.Result) []apply.Ref {
	deleted := map[apply.Ref]bool{}
	if pruned != nil {
		for _, o := range pruned.Objects {
			if o.Action == apply.Deleted || o.Action == apply.Skipped {
				deleted[o.Ref] = true
			}
		}
	}
	var left []apply.Ref
	for _, ref := range stale {
		if !deleted[ref] {
			left = append(left, ref)
		}
	}
	return left
}

// inventoryRefs are the objects st says the last successful sync applied:
// status.appliedObjects, or the inventory an older agent wrote while that
// is empty. An entry that does not parse (the agent writes none; whoever
// may write the status could) is left out, so nothing is pruned that the
// agent cannot name.
func inventoryRefs(st *v1alpha1.GitSyncStatus) []apply.Ref {
	if len(st.AppliedObjects) == 0 {
		out := make([]apply.Ref, len(st.Inventory))
		for i, o := range st.Inventory {
			out[i] = apply.Ref(o)
		}
		return out
	}
	out := make([]apply.Ref, 0, len(st.AppliedObjects))
	for _, s := range st.AppliedObjects {
		if o, err := v1alpha1.ParseObjectRef(s); err == nil {
			out = append(out, apply.Ref(o))
		}
	}
	return out
}

// inventoryEntries are refs as status.appliedObjects lists them.
func inventoryEntries(refs []apply.Ref) []string {
	out := make([]string, len(refs))
	for i, o := range refs {
		out[i] = v1alpha1.ObjectRef(o).String()
	}
	return out
}

func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
