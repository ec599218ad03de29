package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestResyncWithNothingChangedWritesNothing runs the agent through a proxy
// that counts its requests: once a repository is applied, a sync on the
// interval where nothing changed in Git or in the cluster sends no write
// request at all; a sync someone asked for (seal.dev/sync-requested) sends
// one, the status patch that records it handled the request
// (status.lastHandledSyncRequest, which seal reconcile --wait waits for).
func TestResyncWithNothingChangedWritesNothing(t *testing.T) {
	t.Parallel()
	proxy, err := harness.NewCountingProxy(kube.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close) // after the agent stops (cleanups run last first)
	kubeconfig, err := proxy.Kubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "--kubeconfig", kubeconfig, "--log-level", "debug")
	const password = "noop-pw-8e2f90"
	sha := e.commit("app", map[string][]byte{
		"apps/web.yaml":    []byte(deployment),
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     e.seal(secretManifest("db", password), password),
	})
	e.createGitSync("apps", 10*time.Second, nil) // the shortest interval allowed
	e.waitApplied("apps", sha)
	time.Sleep(500 * time.Millisecond) // let the first sync's event reach the API server

	nextSync := func(what string, request bool) []string {
		proxy.Reset()
		before := strings.Count(e.agent.Output(), `"msg":"synced"`)
		if request {
			e.syncNow()
		}
		e.eventually(30*time.Second, what, func() (bool, error) {
			return strings.Count(e.agent.Output(), `"msg":"synced"`) > before, nil
		})
		time.Sleep(200 * time.Millisecond) // a late status patch or event would show now
		return proxy.WriteRequests()
	}
	for i := range 2 {
		if writes := nextSync("a resync on the interval", false); len(writes) != 0 {
			t.Errorf("resync %d on the interval sent %d write requests, want 0: %v", i+1, len(writes), writes)
		}
	}
	// syncNow's own patch of the annotation goes straight to the API
	// server, not through the agent's proxy.
	writes := nextSync("a requested resync", true)
	want := "PATCH /apis/seal.dev/v1alpha1/namespaces/" + e.ns + "/gitsyncs/apps/status"
	if len(writes) != 1 || writes[0] != want {
		t.Errorf("a requested resync sent %v, want only %s (recording the handled request)", writes, want)
	}
	if got := e.get("apps").Status.LastHandledSyncRequest; got == "" {
		t.Error("status.lastHandledSyncRequest is empty after a requested resync")
	}
}
