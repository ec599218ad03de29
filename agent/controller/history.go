package controller

import (
	"fmt"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// recordHistory adds the sync's outcome to gs.Status.History, newest
// first, when its revision or its outcome (Applied, or Failed and why)
// differs from the newest entry: a resync that found what the last one
// found adds nothing, so it writes nothing. A sync that fetched no
// revision handled none and is not recorded. Call it after the Ready
// condition is set.
func recordHistory(gs *v1alpha1.GitSync, o *Outcome, now time.Time) {
	if o.Revision == "" {
		return
	}
	e := v1alpha1.HistoryEntry{
		Revision: o.Revision,
		Author:   capText(o.Author, v1alpha1.MaxHistoryText),
		Subject:  capText(o.Subject, v1alpha1.MaxHistoryText),
		Time:     metav1.NewTime(now.Truncate(time.Second)),
		Outcome:  v1alpha1.OutcomeApplied,
		Counts:   historyCounts(o),
	}
	if ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady); ready != nil {
		e.Reason, e.Message = ready.Reason, capText(ready.Message, v1alpha1.MaxHistoryMessage)
	}
	switch {
	case o.superseded():
		e.Outcome, e.Reason, e.Message = v1alpha1.OutcomeSuperseded, v1alpha1.ReasonSuperseded, ""
	case o.Err != nil:
		e.Outcome = v1alpha1.OutcomeFailed
	}
	h := gs.Status.History
	if len(h) > 0 && h[0].Revision == e.Revision && h[0].Outcome == e.Outcome && h[0].Reason == e.Reason {
		return
	}
	h = append([]v1alpha1.HistoryEntry{e}, h...)
	if len(h) > v1alpha1.MaxHistory {
		h = h[:v1alpha1.MaxHistory]
	}
	gs.Status.History = h
}

// historyCounts counts what apply and prune did, or nil when apply did
// not finish.
func historyCounts(o *Outcome) *v1alpha1.HistoryCounts {
	if o.Applied == nil {
		return nil
	}
	c := o.Applied.Counts()
	deleted := 0
	if o.Pruned != nil {
		deleted = o.Pruned.Count(apply.Deleted)
	}
	return &v1alpha1.HistoryCounts{
		Created:    int32(c[apply.Created]),
		Configured: int32(c[apply.Configured] + c[apply.DriftCorrected]),
		Unchanged:  int32(c[apply.Unchanged]),
		Deleted:    int32(deleted),
	}
}

// capText cuts s to at most n bytes on a rune boundary, marking the cut.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maxEventNote is the API server's limit on an event's note (events.k8s.io
// v1 refuses longer ones).
const maxEventNote = 1024

// byline names the revision and its author for an event's note:
// `revision 0123456789ab ("subject", by Author)`.
func byline(o *Outcome) string {
	switch {
	case o.Author != "" && o.Subject != "":
		return fmt.Sprintf("revision %s (%q, by %s)", short(o.Revision), capText(o.Subject, 60), capText(o.Author, 60))
	case o.Author != "":
		return fmt.Sprintf("revision %s (by %s)", short(o.Revision), capText(o.Author, 60))
	}
	return "revision " + short(o.Revision)
}
