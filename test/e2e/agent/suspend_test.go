package agent_test

import (
	"testing"
	"time"
)

// TestSuspendedGitSyncAppliesNothingUntilResumed: while spec.suspend is
// true a new commit is not applied, even when a sync is requested; once it
// is false again the commit is applied.
func TestSuspendedGitSyncAppliesNothingUntilResumed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.commit("first", map[string][]byte{"apps/config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", 10*time.Second, nil)
	e.waitApplied("apps", first)

	e.setSuspend("apps", true)
	second := e.commit("second", map[string][]byte{"apps/config.yaml": configMap("web-config", "changed")})
	time.Sleep(3 * time.Second) // the requested sync would have run by now
	if got := e.configMapValue("web-config"); got != "hello" {
		t.Errorf("while suspended web-config says %q, want hello", got)
	}
	if gs := e.get("apps"); gs.Status.LastAppliedRevision != first {
		t.Errorf("while suspended lastAppliedRevision = %s, want %s", gs.Status.LastAppliedRevision, first)
	}

	e.setSuspend("apps", false)
	e.waitApplied("apps", second)
	if got := e.configMapValue("web-config"); got != "changed" {
		t.Errorf("after resuming web-config says %q, want changed", got)
	}
}
