package alert

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTrackerTransitions walks one GitSync through a sequence of syncs
// and checks which alert each gets.
func TestTrackerTransitions(t *testing.T) {
	const (
		T = metav1.ConditionTrue
		F = metav1.ConditionFalse
		U = metav1.ConditionUnknown
		N = metav1.ConditionStatus("") // no Ready condition yet
	)
	interval := 5 * time.Minute
	start := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		steps []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration // since start
			want      Kind          // "" for none
		}
	}{
		{"first sync succeeds: no news", []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration
			want      Kind
		}{{N, T, 0, ""}, {T, T, time.Minute, ""}}},
		{"first sync fails", []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration
			want      Kind
		}{{N, F, 0, Failing}}},
		{"unknown to false", []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration
			want      Kind
		}{{U, F, 0, Failing}}},
		{"breaks, still failing once an interval, recovers", []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration
			want      Kind
		}{
			{T, F, 0, Failing},
			{F, F, time.Minute, ""},
			{F, F, 4 * time.Minute, ""},
			{F, F, 5 * time.Minute, StillFailing},
			{F, F, 6 * time.Minute, ""},
			{F, F, 10 * time.Minute, StillFailing},
			{F, T, 11 * time.Minute, Recovered},
			{T, T, 20 * time.Minute, ""},
			{T, F, 21 * time.Minute, Failing},
		}},
		{"failing since before the agent started: reminded an interval later", []struct {
			prev, cur metav1.ConditionStatus
			after     time.Duration
			want      Kind
		}{{F, F, 0, ""}, {F, F, time.Minute, ""}, {F, F, 5 * time.Minute, StillFailing}, {F, T, 6 * time.Minute, Recovered}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker()
			for i, s := range tt.steps {
				got, ok := tr.Decide("prod/apps", s.prev, s.cur, interval, start.Add(s.after))
				if ok != (s.want != "") || got != s.want {
					t.Errorf("step %d (%s→%s at +%s): alert %q (%v), want %q", i, s.prev, s.cur, s.after, got, ok, s.want)
				}
			}
		})
	}
}

// TestTrackerKeysAreSeparate: one GitSync's failure does not delay
// another's alerts; Forget starts a key over.
func TestTrackerKeysAreSeparate(t *testing.T) {
	tr := NewTracker()
	now := time.Now()
	if k, _ := tr.Decide("a", metav1.ConditionTrue, metav1.ConditionFalse, time.Hour, now); k != Failing {
		t.Fatalf("a: %q", k)
	}
	if k, _ := tr.Decide("b", metav1.ConditionTrue, metav1.ConditionFalse, time.Hour, now); k != Failing {
		t.Fatalf("b: %q", k)
	}
	tr.Forget("a")
	if k, ok := tr.Decide("a", metav1.ConditionFalse, metav1.ConditionFalse, time.Hour, now.Add(2*time.Hour)); ok {
		t.Errorf("forgotten a: %q, want none (its failure predates what the tracker knows)", k)
	}
	if k, _ := tr.Decide("b", metav1.ConditionFalse, metav1.ConditionFalse, time.Hour, now.Add(2*time.Hour)); k != StillFailing {
		t.Errorf("b: %q, want StillFailing", k)
	}
}
