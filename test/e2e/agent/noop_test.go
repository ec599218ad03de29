package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestResyncWithNothingChangedWritesNothing runs the agent through a proxy
// that counts its requests: once a repository is applied, a sync where
// nothing changed in Git or in the cluster sends no write request at all.
func TestResyncWithNothingChangedWritesNothing(t *testing.T) {
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
	e.createGitSync("apps", time.Hour, nil)
	e.waitApplied("apps", sha)

	for i := range 3 {
		time.Sleep(500 * time.Millisecond) // let the first sync's event reach the API server
		proxy.Reset()
		before := strings.Count(e.agent.Output(), `"msg":"synced"`)
		e.syncNow()
		e.eventually(30*time.Second, "another sync", func() (bool, error) {
			return strings.Count(e.agent.Output(), `"msg":"synced"`) > before, nil
		})
		time.Sleep(200 * time.Millisecond) // a late status patch or event would show now
		if writes, reads := proxy.Reset(); writes != 0 {
			t.Errorf("resync %d sent %d write requests (and %d reads), want 0", i+1, writes, reads)
		}
	}
}
