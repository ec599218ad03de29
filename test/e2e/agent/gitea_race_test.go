package agent_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/gitea"
)

// hookedForge starts an agent with a webhook receiver and a Gitea whose
// repository delivers every push to it, and syncs a first commit. The
// webhook exists before the first push, and the first push's delivery is
// seen before it returns: Gitea's hook queue can lag a push by seconds, so
// a webhook added after a push may still get that push, late, in the
// middle of what a test does next.
func hookedForge(t *testing.T, gitSync func(*v1alpha1.GitSync)) (f *forge, statusContext, first string) {
	addr := freeAddr(t)
	f = newForge(newEnv(t, "--allowed-networks", "127.0.0.0/8", "--webhook-bind-address", addr, "--cluster-name", "gitea-e2e"))
	f.secrets = append(f.secrets, giteaHookSecret)
	path := f.createReceiver("gitea", v1alpha1.ProviderGitea, giteaHookSecret)
	if _, err := f.gitea.AddWebhook(f.ctx, f.repo.Owner, f.repo.Name, gitea.Webhook{URL: "http://" + addr + path, Secret: giteaHookSecret}); err != nil {
		t.Fatal(err)
	}
	first, err := f.repo.Commit("config", map[string][]byte{"apps/config.yaml": configMap("web-config", "v1")})
	if err != nil {
		t.Fatal(err)
	}
	f.createGitSync("apps", gitSync)
	f.waitApplied("apps", first)
	f.waitDeliveries(1)
	statusContext = "seal/gitea-e2e/" + f.ns + "/apps"
	f.waitStatus(first, statusContext, "success")
	return f, statusContext, first
}

// waitDeliveries waits until the agent has logged n webhook pushes.
func (f *forge) waitDeliveries(n int) {
	f.t.Helper()
	f.eventually(60*time.Second, "Gitea's webhook deliveries", func() (bool, error) {
		return strings.Count(f.agent.Output(), `"webhook push"`) >= n, nil
	})
}

// waitHealthWait waits until the GitSync waits for its objects' health.
func (f *forge) waitHealthWait(name string) {
	f.t.Helper()
	f.eventually(30*time.Second, "the health wait", func() (bool, error) {
		c := meta.FindStatusCondition(f.get(name).Status.Conditions, v1alpha1.ConditionReconciling)
		return c != nil && c.Reason == v1alpha1.ReasonProgressing, nil
	})
}

// TestGiteaTwoQuickPushesSupersedeTheFirst: the first push holds a
// Deployment that never becomes available (no controller runs here); the
// second, pushed while the agent waits for it, replaces it. Gitea's
// deliveries cut the wait short: the first commit ends with a final error
// status "superseded by <second>", never a pending left hanging, and the
// second gets pending then success.
func TestGiteaTwoQuickPushesSupersedeTheFirst(t *testing.T) {
	t.Parallel()
	f, sctx, _ := hookedForge(t, waitWithHealth(5*time.Minute))
	stuck, err := f.repo.Commit("web", map[string][]byte{"apps/web.yaml": deploymentNamed("web")})
	if err != nil {
		t.Fatal(err)
	}
	f.waitStatus(stuck, sctx, "pending")
	f.waitHealthWait("apps")
	next, err := f.repo.Commit("config instead", map[string][]byte{"apps/web.yaml": nil, "apps/config.yaml": configMap("web-config", "v2")})
	if err != nil {
		t.Fatal(err)
	}
	f.waitApplied("apps", next)
	final := f.waitStatus(stuck, sctx, "error")
	if want := "superseded by " + next[:12]; !strings.Contains(final.Description, want) {
		t.Errorf("the first commit's final status says %q, want %q", final.Description, want)
	}
	f.waitStatus(next, sctx, "success")
	if got := states(f.statuses(stuck), sctx); !equalStates(got, "error", "pending") {
		t.Errorf("statuses on %s, newest first: %v, want [error pending]", short(stuck), got)
	}
	if got := states(f.statuses(next), sctx); !equalStates(got, "success", "pending") {
		t.Errorf("statuses on %s, newest first: %v, want [success pending]", short(next), got)
	}
	if got := f.configMapValue("web-config"); got != "v2" {
		t.Errorf("web-config = %q, want v2", got)
	}
}

// TestGiteaDownMidSyncPostsOnceBack: Gitea stops while a webhook-started
// sync waits for a Deployment's rollout (pending already posted). The
// rollout completes: the sync succeeds and CommitStatusReported is False,
// naming the success it could not post. Once Gitea is back, success is
// posted on the commit without another push (the agent retries within its
// one-minute retry interval, although the GitSync's interval is an hour).
// Gitea is also the Git host, so a sync started while it is down fails its
// fetch; that posts nothing and does not touch the condition.
func TestGiteaDownMidSyncPostsOnceBack(t *testing.T) {
	t.Parallel()
	f, sctx, first := hookedForge(t, waitWithHealth(5*time.Minute))
	web, err := f.repo.Commit("web", map[string][]byte{"apps/web.yaml": deploymentNamed("web")})
	if err != nil {
		t.Fatal(err)
	}
	f.waitStatus(web, sctx, "pending")
	f.waitHealthWait("apps")
	if err := f.gitea.Down(); err != nil {
		t.Fatal(err)
	}
	f.rollOut("web")
	f.eventually(60*time.Second, "applied, and CommitStatusReported=False for success on "+short(web), func() (bool, error) {
		c := f.commitStatusCondition("apps")
		return f.get("apps").Status.LastAppliedRevision == web && c != nil && c.Status == metav1.ConditionFalse &&
			strings.Contains(c.Message, "success for "+web[:12]), nil
	})
	c := f.commitStatusCondition("apps")
	t.Logf("while Gitea is down: CommitStatusReported %s %s: %s", c.Status, c.Reason, c.Message)

	if err := f.gitea.Up(f.ctx); err != nil {
		t.Fatal(err)
	}
	ok := f.waitStatusWithin(2*time.Minute, web, sctx, "success")
	t.Logf("posted once Gitea was back: %q", ok.Description)
	if got := states(f.statuses(web), sctx); !equalStates(got, "success", "pending") {
		t.Errorf("statuses on %s, newest first: %v, want [success pending]", short(web), got)
	}
	f.eventually(60*time.Second, "CommitStatusReported=True", func() (bool, error) {
		c := f.commitStatusCondition("apps")
		return c != nil && c.Status == metav1.ConditionTrue, nil
	})
	f.checkForgeHoldsNoSecrets(first, web)
}
