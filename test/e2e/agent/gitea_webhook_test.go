package agent_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/gitea"
)

// giteaHookSecret is the secret of the Gitea repository webhook and of the
// Receiver; giteaWrongSecret is another webhook's, which the agent must
// refuse.
const (
	giteaHookSecret  = "gitea-e2e-hook-secret-7d41c09e"
	giteaWrongSecret = "gitea-e2e-wrong-secret-2b8f6a13"
)

// TestGiteaWebhookPushIsAppliedAndReported drives the whole loop with
// Gitea's own webhook delivery: a push to the Gitea repository makes Gitea
// POST to the built agent's receiver, which syncs the GitSync at once (its
// interval is an hour, and nothing asks by annotation), and the agent posts
// pending then success on the commit, read back through Gitea's API. A
// broken commit gets failure. A push delivered only by a webhook with the
// wrong secret is refused and applies nothing; the same commit delivered
// by the right webhook is applied.
func TestGiteaWebhookPushIsAppliedAndReported(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	f := newForge(newEnv(t, "--allowed-networks", "127.0.0.0/8", "--webhook-bind-address", addr, "--cluster-name", "gitea-e2e"))
	f.secrets = append(f.secrets, giteaHookSecret, giteaWrongSecret)
	sctx := "seal/gitea-e2e/" + f.ns + "/apps" // seal/CLUSTER/NAMESPACE/GITSYNC

	// A first commit so the repository has a branch, synced by annotation
	// once: the webhook then carries every later commit.
	first, err := f.repo.Commit("config v1", map[string][]byte{"apps/config.yaml": configMap("web-config", "v1")})
	if err != nil {
		t.Fatal(err)
	}
	f.createGitSync("apps", nil)
	f.waitApplied("apps", first)

	path := f.createReceiver("gitea", v1alpha1.ProviderGitea, giteaHookSecret)
	hookURL := "http://" + addr + path
	good, err := f.gitea.AddWebhook(f.ctx, f.repo.Owner, f.repo.Name, gitea.Webhook{URL: hookURL, Secret: giteaHookSecret})
	if err != nil {
		t.Fatal(err)
	}

	// 1. A push: Gitea delivers, the agent applies and reports.
	const password = "gitea-webhook-e2e-password-91ab"
	start := time.Now()
	second, err := f.repo.Commit("config v2 and a secret", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "v2"),
		"apps/db.yaml":     f.seal(secretManifest("db", password), password),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.waitApplied("apps", second)
	t.Logf("push to applied through Gitea's webhook: %s (interval 1h)", time.Since(start).Round(time.Millisecond))
	if got := f.configMapValue("web-config"); got != "v2" {
		t.Errorf("web-config = %q after the push, want v2", got)
	}
	if got := f.secretData("db")["password"]; got != password {
		t.Errorf("Secret db synced through the webhook holds %q", got)
	}
	ok := f.waitStatus(second, sctx, "success")
	pending := f.waitStatus(second, sctx, "pending")
	if pending.ID >= ok.ID {
		t.Errorf("pending (id %d) was not posted before success (id %d)", pending.ID, ok.ID)
	}
	if got := states(f.statuses(second), sctx); !equalStates(got, "success", "pending") {
		t.Errorf("statuses on %s, newest first: %v, want [success pending]", second[:8], got)
	}

	// 2. A broken commit: delivered, fetched, failure.
	bad, err := f.repo.Commit("broken", map[string][]byte{"apps/broken.yaml": []byte("kind: [\n")})
	if err != nil {
		t.Fatal(err)
	}
	f.waitFailed("apps", v1alpha1.ReasonRenderFailed)
	failed := f.waitStatus(bad, sctx, "failure")
	if !strings.Contains(failed.Description, "RenderFailed") {
		t.Errorf("failure description %q does not give the reason", failed.Description)
	}
	for _, s := range f.statuses(bad) {
		if s.State == "success" {
			t.Errorf("broken commit %s has a success status: %+v", bad[:8], s)
		}
	}

	// 3. Only a webhook with the wrong secret delivers the fix: the agent
	// refuses it, nothing is fetched, applied or reported.
	if err := f.gitea.Do(f.ctx, http.MethodPatch, hookPath(f.repo, good), map[string]any{"active": false}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.gitea.AddWebhook(f.ctx, f.repo.Owner, f.repo.Name, gitea.Webhook{URL: hookURL, Secret: giteaWrongSecret}); err != nil {
		t.Fatal(err)
	}
	refusedBefore := strings.Count(f.agent.Output(), `"webhook refused"`)
	fix, err := f.repo.Commit("fix, delivered with the wrong secret", map[string][]byte{
		"apps/broken.yaml": nil,
		"apps/config.yaml": configMap("web-config", "v3"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.eventually(30*time.Second, "the agent refuses the wrongly signed delivery", func() (bool, error) {
		return strings.Count(f.agent.Output(), `"webhook refused"`) > refusedBefore, nil
	})
	time.Sleep(3 * time.Second) // a sync, had one started, would have fetched by now
	gs := f.get("apps")
	if gs.Status.LastAppliedRevision != second {
		t.Errorf("lastAppliedRevision = %s after a refused delivery, want %s", short(gs.Status.LastAppliedRevision), second[:8])
	}
	if got := f.configMapValue("web-config"); got != "v2" {
		t.Errorf("web-config = %q after a refused delivery, want v2", got)
	}
	if got := f.statuses(fix); len(got) != 0 {
		t.Errorf("a commit delivered only with the wrong secret got statuses: %+v", got)
	}
	for _, line := range strings.Split(f.agent.Output(), "\n") {
		if strings.Contains(line, `"webhook refused"`) && !strings.Contains(line, `"status":401`) {
			t.Errorf("a refusal that is not a 401: %s", line)
		}
	}

	// The same commit, delivered by the right webhook (Gitea's test
	// delivery: a push payload of the branch head), is applied.
	if err := f.gitea.Do(f.ctx, http.MethodPatch, hookPath(f.repo, good), map[string]any{"active": true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.gitea.Do(f.ctx, http.MethodPost, hookPath(f.repo, good)+"/tests", nil, nil); err != nil {
		t.Fatal(err)
	}
	f.waitApplied("apps", fix)
	if got := f.configMapValue("web-config"); got != "v3" {
		t.Errorf("web-config = %q after the right webhook delivered the fix, want v3", got)
	}
	f.waitStatus(fix, sctx, "success")
	f.checkForgeHoldsNoSecrets(second, bad, fix)
}

// hookPath is the API path of webhook id of repo.
func hookPath(repo *gitea.Repo, id int64) string {
	return fmt.Sprintf("/repos/%s/%s/hooks/%d", repo.Owner, repo.Name, id)
}

// states lists the states of the statuses in statusContext, in order.
func states(all []gitea.CommitStatus, statusContext string) []string {
	var got []string
	for _, s := range all {
		if s.Context == statusContext {
			got = append(got, s.State)
		}
	}
	return got
}

func equalStates(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
