package alert

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kind is what happened to a GitSync's Ready condition.
type Kind string

const (
	// Failing: Ready turned False (from True, Unknown or absent).
	Failing Kind = "Failing"
	// Recovered: Ready turned True after being False.
	Recovered Kind = "Recovered"
	// StillFailing: Ready stayed False for another interval.
	StillFailing Kind = "StillFailing"
)

// Event is one alert's content. Every field is already shown on the
// GitSync's status; Message is the Ready condition's redacted message.
type Event struct {
	Kind      Kind
	Namespace string // of the GitSync
	Name      string
	Reason    string // the Ready condition's reason
	Message   string // the Ready condition's message
	Revision  string // full SHA, "" when nothing was fetched
	Author    string // the commit author's name
	Subject   string // the commit message's first line
	Time      time.Time
}

// Tracker decides which Ready changes get an alert. It remembers, per
// GitSync, when the last failing alert went out, so that "still failing"
// is sent at most once an interval. Its memory is lost when the agent
// restarts: a GitSync found failing then gets its next reminder one
// interval later, not at once.
type Tracker struct {
	mu   sync.Mutex
	last map[string]time.Time // key → time of the last Failing or StillFailing alert
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker { return &Tracker{last: map[string]time.Time{}} }

// Decide returns the alert due for the GitSync key whose Ready status was
// prev before a sync and is cur after it, and whether one is due. A first
// sync that succeeds is no news; one that fails is.
func (t *Tracker) Decide(key string, prev, cur metav1.ConditionStatus, interval time.Duration, now time.Time) (Kind, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case cur == metav1.ConditionFalse && prev != metav1.ConditionFalse:
		t.last[key] = now
		return Failing, true
	case cur == metav1.ConditionFalse:
		last, ok := t.last[key]
		if !ok {
			// Failing since before this agent started: remind later.
			t.last[key] = now
			return "", false
		}
		if now.Sub(last) < interval {
			return "", false
		}
		t.last[key] = now
		return StillFailing, true
	case cur == metav1.ConditionTrue && prev == metav1.ConditionFalse:
		delete(t.last, key)
		return Recovered, true
	}
	delete(t.last, key)
	return "", false
}

// Forget drops what the tracker remembers of key (a deleted GitSync).
func (t *Tracker) Forget(key string) {
	t.mu.Lock()
	delete(t.last, key)
	t.mu.Unlock()
}
