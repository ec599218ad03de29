package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// historyFixture is a GitSync whose Ready condition is already set as
// record sets it before recordHistory runs.
func historyFixture(history []v1alpha1.HistoryEntry, reason, msg string) *v1alpha1.GitSync {
	gs := &v1alpha1.GitSync{Status: v1alpha1.GitSyncStatus{History: history}}
	status := metav1.ConditionTrue
	if reason != v1alpha1.ReasonSucceeded {
		status = metav1.ConditionFalse
	}
	setCondition(gs, v1alpha1.ConditionReady, status, reason, msg)
	return gs
}

func applied(actions ...apply.Action) *apply.Result {
	r := &apply.Result{}
	for i, a := range actions {
		r.Objects = append(r.Objects, apply.ObjectResult{Ref: apply.Ref{Kind: "ConfigMap", Name: fmt.Sprint(i)}, Action: a})
	}
	return r
}

func TestRecordHistory(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	at := metav1.NewTime(now)
	shaA, shaB := strings.Repeat("a", 40), strings.Repeat("b", 40)
	failed := &SyncError{Stage: StageRender, Reason: v1alpha1.ReasonRenderFailed, err: fmt.Errorf("bad YAML")}
	entryA := v1alpha1.HistoryEntry{Revision: shaA, Author: "Ann", Subject: "first", Time: at, Outcome: v1alpha1.OutcomeApplied,
		Reason: v1alpha1.ReasonSucceeded, Message: "Applied", Counts: &v1alpha1.HistoryCounts{Created: 1}}
	full := make([]v1alpha1.HistoryEntry, v1alpha1.MaxHistory)
	for i := range full {
		full[i] = entryA
		full[i].Subject = fmt.Sprint("old ", i)
	}
	long := strings.Repeat("é", 200)

	for _, tt := range []struct {
		name    string
		history []v1alpha1.HistoryEntry
		reason  string
		msg     string
		o       *Outcome
		want    []v1alpha1.HistoryEntry
	}{
		{"first sync applied, counts of apply and prune", nil, v1alpha1.ReasonSucceeded, "Applied",
			&Outcome{Revision: shaA, Author: "Ann", Subject: "first",
				Applied: applied(apply.Created, apply.Configured, apply.DriftCorrected, apply.Unchanged, apply.Unchanged),
				Pruned:  applied(apply.Deleted, apply.Skipped)},
			[]v1alpha1.HistoryEntry{{Revision: shaA, Author: "Ann", Subject: "first", Time: at, Outcome: v1alpha1.OutcomeApplied,
				Reason: v1alpha1.ReasonSucceeded, Message: "Applied", Counts: &v1alpha1.HistoryCounts{Created: 1, Configured: 2, Unchanged: 2, Deleted: 1}}}},
		{"resync of the same revision, same outcome: nothing added", []v1alpha1.HistoryEntry{entryA}, v1alpha1.ReasonSucceeded, "Applied",
			&Outcome{Revision: shaA, Author: "Ann", Subject: "first", Applied: applied(apply.Unchanged)},
			[]v1alpha1.HistoryEntry{entryA}},
		{"new revision fails before apply: no counts", []v1alpha1.HistoryEntry{entryA}, v1alpha1.ReasonRenderFailed, "bad YAML",
			&Outcome{Revision: shaB, Author: "Bob", Subject: "break", Err: failed},
			[]v1alpha1.HistoryEntry{{Revision: shaB, Author: "Bob", Subject: "break", Time: at, Outcome: v1alpha1.OutcomeFailed,
				Reason: v1alpha1.ReasonRenderFailed, Message: "bad YAML"}, entryA}},
		{"same revision, outcome changed: added", []v1alpha1.HistoryEntry{entryA}, v1alpha1.ReasonRenderFailed, "bad YAML",
			&Outcome{Revision: shaA, Author: "Ann", Subject: "first", Err: failed},
			[]v1alpha1.HistoryEntry{{Revision: shaA, Author: "Ann", Subject: "first", Time: at, Outcome: v1alpha1.OutcomeFailed,
				Reason: v1alpha1.ReasonRenderFailed, Message: "bad YAML"}, entryA}},
		{"health wait cut short by a newer request: superseded, with what was applied", []v1alpha1.HistoryEntry{entryA}, v1alpha1.ReasonSucceeded, "Applied",
			&Outcome{Revision: shaB, Author: "Bob", Subject: "next", Applied: applied(apply.Configured), Err: classify(StageHealth, errSuperseded)},
			[]v1alpha1.HistoryEntry{{Revision: shaB, Author: "Bob", Subject: "next", Time: at, Outcome: v1alpha1.OutcomeSuperseded,
				Reason: v1alpha1.ReasonSuperseded, Counts: &v1alpha1.HistoryCounts{Configured: 1}}, entryA}},
		{"fetch failed: no revision handled", []v1alpha1.HistoryEntry{entryA}, v1alpha1.ReasonGitFetchFailed, "unreachable",
			&Outcome{Err: &SyncError{Stage: StageSource, Reason: v1alpha1.ReasonGitFetchFailed, err: fmt.Errorf("unreachable")}},
			[]v1alpha1.HistoryEntry{entryA}},
		{"bounded to ten, newest first", full, v1alpha1.ReasonSucceeded, "Applied",
			&Outcome{Revision: shaB, Author: "Bob", Subject: "new", Applied: applied()},
			append([]v1alpha1.HistoryEntry{{Revision: shaB, Author: "Bob", Subject: "new", Time: at, Outcome: v1alpha1.OutcomeApplied,
				Reason: v1alpha1.ReasonSucceeded, Message: "Applied", Counts: &v1alpha1.HistoryCounts{}}}, full[:9]...)},
		{"fields capped", nil, v1alpha1.ReasonRenderFailed, long + long,
			&Outcome{Revision: shaB, Author: long, Subject: long, Err: failed},
			[]v1alpha1.HistoryEntry{{Revision: shaB, Author: strings.Repeat("é", 58) + "…", Subject: strings.Repeat("é", 58) + "…", Time: at,
				Outcome: v1alpha1.OutcomeFailed, Reason: v1alpha1.ReasonRenderFailed, Message: strings.Repeat("é", 126) + "…"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gs := historyFixture(tt.history, tt.reason, tt.msg)
			recordHistory(gs, tt.o, now)
			if diff := cmp.Diff(tt.want, gs.Status.History); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
			for _, e := range gs.Status.History {
				if len(e.Author) > v1alpha1.MaxHistoryText || len(e.Subject) > v1alpha1.MaxHistoryText || len(e.Message) > v1alpha1.MaxHistoryMessage {
					t.Errorf("entry %s not capped: %d/%d/%d bytes", e.Revision, len(e.Author), len(e.Subject), len(e.Message))
				}
			}
		})
	}
}

func TestByline(t *testing.T) {
	sha := strings.Repeat("c", 40)
	for _, tt := range []struct {
		o    Outcome
		want string
	}{
		{Outcome{Revision: sha, Author: "Ann", Subject: "add shop"}, `revision cccccccccccc ("add shop", by Ann)`},
		{Outcome{Revision: sha, Author: "Ann"}, `revision cccccccccccc (by Ann)`},
		{Outcome{Revision: sha}, `revision cccccccccccc`},
	} {
		if got := byline(&tt.o); got != tt.want {
			t.Errorf("byline = %q, want %q", got, tt.want)
		}
	}
}
