package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Retries after errors start fast and never wait longer than a failed
// sync's retry interval, however long the apiserver was down.
func TestFailureBackoff(t *testing.T) {
	b := failureBackoff()
	req := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "apps"}}
	if first := b.When(req); first > time.Second {
		t.Errorf("first retry after %s, want well under a second", first)
	}
	var last time.Duration
	for range 40 { // a long outage
		last = b.When(req)
	}
	if last != retryInterval {
		t.Errorf("retry after 40 failures waits %s, want the cap %s", last, retryInterval)
	}
	b.Forget(req)
	if again := b.When(req); again > time.Second {
		t.Errorf("after a success the first retry waits %s, want it fast again", again)
	}
}
