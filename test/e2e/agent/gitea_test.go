package agent_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/gitea"
)

// forge is a test's real Gitea (test/gitea) beside its env: the agent
// syncs from a private Gitea repository over Gitea's own HTTP git, with a
// Gitea API token as the password, and reports commit statuses to Gitea's
// API with the same token, read back through that API.
//
// Each test starts its own Gitea in a temporary directory of its own and
// stops it at the end, so no process or port outlives it.
type forge struct {
	*env
	gitea *gitea.Server
	repo  *gitea.Repo
	token string // write:repository: clones and posts statuses
}

// newForge starts an agent (allowed to reach loopback, where Gitea
// listens) and a Gitea with one private repository "env".
func newForge(e *env) *forge {
	e.t.Helper()
	srv, err := gitea.Start(e.ctx, gitea.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			e.t.Error(err)
		}
	})
	f := &forge{env: e, gitea: srv}
	f.token, err = srv.CreateToken(e.ctx, "seal-agent", "write:repository")
	if err != nil {
		e.t.Fatal(err)
	}
	f.repo, err = srv.CreateRepo(e.ctx, gitea.RepoOptions{Name: "env", Private: true, Work: filepath.Join(e.dir, "gitea-work")})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// createGitSync creates a GitSync of the Gitea repository that posts
// commit statuses to Gitea; mutate adjusts the spec.
func (f *forge) createGitSync(name string, mutate func(*v1alpha1.GitSync)) {
	f.t.Helper()
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: name + "-git", Namespace: f.ns},
			StringData: map[string]string{"username": f.gitea.AdminUser, "password": f.token}},
		{ObjectMeta: metav1.ObjectMeta{Name: name + "-status", Namespace: f.ns},
			StringData: map[string]string{"token": f.token}},
	} {
		if err := kube.Client.Create(f.ctx, s); err != nil {
			f.t.Fatal(err)
		}
	}
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec: v1alpha1.GitSyncSpec{
			URL:             f.repo.CloneURL,
			Interval:        metav1.Duration{Duration: time.Hour},
			SecretRef:       &v1alpha1.LocalObjectReference{Name: name + "-git"},
			TargetNamespace: f.ns,
			Wait:            new(false),
			CommitStatus: &v1alpha1.CommitStatus{
				Provider:  "gitea",
				APIURL:    f.gitea.APIURL(),
				SecretRef: v1alpha1.LocalObjectReference{Name: name + "-status"},
			},
		},
	}
	if mutate != nil {
		mutate(gs)
	}
	if err := kube.Client.Create(f.ctx, gs); err != nil {
		f.t.Fatal(err)
	}
}

// push commits files to the Gitea repository over HTTP and asks the
// namespace's GitSyncs to sync now. (Once the agent has a webhook receiver,
// a test adds a Gitea webhook with f.gitea.AddWebhook and pushes without
// asking.)
func (f *forge) push(msg string, files map[string][]byte) string {
	f.t.Helper()
	sha, err := f.repo.Commit(msg, files)
	if err != nil {
		f.t.Fatal(err)
	}
	f.syncNow()
	return sha
}

// statuses reads every commit status on sha through Gitea's API, newest
// first.
func (f *forge) statuses(sha string) []gitea.CommitStatus {
	f.t.Helper()
	got, err := f.gitea.CommitStatuses(f.ctx, f.repo.Owner, f.repo.Name, sha)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// waitStatus waits until Gitea holds a status of state in context on sha
// and returns it.
func (f *forge) waitStatus(sha, statusContext, state string) gitea.CommitStatus {
	f.t.Helper()
	return f.waitStatusWithin(30*time.Second, sha, statusContext, state)
}

func (f *forge) waitStatusWithin(timeout time.Duration, sha, statusContext, state string) gitea.CommitStatus {
	f.t.Helper()
	var found gitea.CommitStatus
	f.eventually(timeout, fmt.Sprintf("a %s status %q on %s in Gitea", state, statusContext, sha[:8]), func() (bool, error) {
		got, err := f.gitea.CommitStatuses(f.ctx, f.repo.Owner, f.repo.Name, sha)
		if err != nil {
			return false, err
		}
		for _, s := range got {
			if s.Context == statusContext && s.State == state {
				found = s
				return true, nil
			}
		}
		return false, nil
	})
	return found
}

func TestGiteaReceivesCommitStatuses(t *testing.T) {
	t.Parallel()
	f := newForge(newEnv(t, "--allowed-networks", "127.0.0.0/8"))
	const password = "gitea-e2e-password-5c2e"
	sctx := "seal/default/" + f.ns + "/apps" // seal/CLUSTER/NAMESPACE/GITSYNC; no --cluster-name
	f.createGitSync("apps", nil)
	good := f.push("app", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     f.seal(secretManifest("db", password), password),
	})
	f.waitApplied("apps", good)
	if got := f.secretData("db")["password"]; got != password {
		t.Errorf("Secret db synced from Gitea holds %q", got)
	}
	ok := f.waitStatus(good, sctx, "success")
	if !strings.Contains(ok.Description, "2 objects") {
		t.Errorf("success description %q does not count the objects applied", ok.Description)
	}

	bad := f.push("broken", map[string][]byte{"apps/broken.yaml": []byte("kind: [\n")})
	f.waitFailed("apps", v1alpha1.ReasonRenderFailed)
	failed := f.waitStatus(bad, sctx, "failure")
	if !strings.Contains(failed.Description, "RenderFailed") {
		t.Errorf("failure description %q does not give the reason", failed.Description)
	}
	// The good commit keeps its pending then success and gains nothing
	// else; the broken one never shows success.
	if got := states(f.statuses(good), sctx); !equalStates(got, "success", "pending") {
		t.Errorf("%s on %s after the broken commit, newest first: %v, want [success pending]", sctx, good[:8], got)
	}
	for _, s := range f.statuses(bad) {
		if s.State == "success" {
			t.Errorf("broken commit %s has a success status: %+v", bad[:8], s)
		}
	}
	f.checkForgeHoldsNoSecrets(good, bad)
}

// checkForgeHoldsNoSecrets searches every status Gitea holds on shas, and
// the agent's output, for the API token and the test's plaintext values.
func (f *forge) checkForgeHoldsNoSecrets(shas ...string) {
	var haystack strings.Builder
	for _, sha := range shas {
		got, err := f.gitea.CommitStatuses(f.ctx, f.repo.Owner, f.repo.Name, sha)
		if err != nil {
			f.t.Error(err)
			return
		}
		for _, s := range got {
			fmt.Fprintf(&haystack, "%s %s %s\n", s.Context, s.Description, s.TargetURL)
		}
	}
	for _, s := range append([]string{f.token}, f.secrets...) {
		if strings.Contains(haystack.String(), s) {
			f.t.Errorf("a commit status in Gitea holds a secret value (%d bytes)", len(s))
		}
	}
	if strings.Contains(f.agent.Output(), f.token) {
		f.t.Error("the Gitea token appears in the agent's output")
	}
}
