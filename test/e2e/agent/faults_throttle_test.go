package agent_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestFaultAPIServerAnswers429 runs the agent through a proxy that, for a
// while, answers 429 Too Many Requests (Retry-After: 1) to every request
// but those about GitSyncs and events, so the agent can still report. The
// first request of a sync to fail is the read of the GitSync's credentials
// Secret (after client-go's own retries honouring Retry-After): the
// GitSync turns Ready=False with GitFetchFailed naming that Secret and the
// throttling, the cluster keeps the applied revision whole, the agent's
// key stays as it was, and the change is applied once the API server
// accepts requests again.
func TestFaultAPIServerAnswers429(t *testing.T) {
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
	e := newEnv(t, "--kubeconfig", kubeconfig)
	s := newFaultScene(e, time.Hour, "throttle-pw1-5d02b8", "throttle-pw2-c47e19", nil)

	proxy.Throttle(func(r *http.Request) bool {
		return !strings.Contains(r.URL.Path, "/gitsyncs") && !strings.Contains(r.URL.Path, "/events")
	})
	s.change(nil)
	msg := e.waitFailed("apps", v1alpha1.ReasonGitFetchFailed)
	t.Logf("Ready message while throttled: %s", msg)
	for _, want := range []string{"Too many requests", "apps-git"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message %q does not say %q", msg, want)
		}
	}
	s.checkFirstIntact()
	if got := e.waitRecipient(); got != e.recipient {
		t.Errorf("while throttled the agent's recipient changed from %s to %s", e.recipient, got)
	}

	n := proxy.Throttle(nil)
	t.Logf("the proxy answered %d requests with 429", n)
	if n == 0 {
		t.Fatal("the proxy answered no request with 429")
	}
	e.syncNow()
	s.waitSecond()
}
