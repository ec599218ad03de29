package agent_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/receiver"
)

const webhookToken = "e2e-webhook-token-5f0c9a71d2b4"

// TestWebhookPushSyncsAtOnce drives the built agent's webhook receiver
// with GitHub-style push deliveries: unsigned, wrongly signed and
// non-matching ones change nothing; a signed push of the synced branch
// has the commit applied at once, although the interval is an hour.
func TestWebhookPushSyncsAtOnce(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	e := newEnv(t, "--webhook-bind-address", addr)
	e.secrets = append(e.secrets, webhookToken)
	first, err := e.repo.Commit("config v1", map[string][]byte{"apps/config.yaml": configMap("web-config", "v1")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := git.CreateRepo(fmt.Sprintf("team/other-%d", repoCount.Add(1)), filepath.Join(e.dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	otherSHA, err := other.Commit("other", map[string][]byte{"other.yaml": configMap("other-config", "v1")})
	if err != nil {
		t.Fatal(err)
	}
	e.createGitSync("apps", time.Hour, nil)
	e.createGitSync("other-repo", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.URL = git.HTTPURL(other.Name) })
	e.waitApplied("apps", first)
	e.waitApplied("other-repo", otherSHA)

	path := e.createReceiver("github", v1alpha1.ProviderGitHub, webhookToken)
	url := "http://" + addr + path

	second, err := e.repo.Commit("config v2", map[string][]byte{"apps/config.yaml": configMap("web-config", "v2")})
	if err != nil {
		t.Fatal(err)
	}
	push := githubPush(git.HTTPURL(e.repo.Name), "refs/heads/main", second)
	refused := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"unsigned", push, "", http.StatusUnauthorized},
		{"wrong secret", push, sign(push, "not-the-webhook-token-at-all"), http.StatusUnauthorized},
		{"another branch", githubPush(git.HTTPURL(e.repo.Name), "refs/heads/feature", second), "", http.StatusOK},
		{"another repository", githubPush(git.HTTPURL("team/unknown"), "refs/heads/main", second), "", http.StatusOK},
	}
	for _, tt := range refused {
		sig := tt.sig
		if sig == "" && tt.want == http.StatusOK {
			sig = sign(tt.body, webhookToken)
		}
		if got := deliver(t, url, "push", tt.body, sig); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	// Nothing asked for a sync: no annotation, and v1 still applied a
	// while later.
	time.Sleep(3 * time.Second)
	for _, name := range []string{"apps", "other-repo"} {
		if v, ok := e.get(name).Annotations[v1alpha1.AnnotationSyncRequested]; ok {
			t.Errorf("GitSync %s was asked to sync (%s) by a delivery that does not match or is not signed", name, v)
		}
	}
	if got := e.configMapValue("web-config"); got != "v1" {
		t.Fatalf("web-config = %q after refused and non-matching deliveries, want v1", got)
	}

	start := time.Now()
	if got := deliver(t, url, "push", push, sign(push, webhookToken)); got != http.StatusOK {
		t.Fatalf("signed push: status %d, want 200; agent output:\n%s", got, tail(e.agent.Output()))
	}
	e.waitApplied("apps", second)
	t.Logf("push to applied: %s (interval 1h)", time.Since(start).Round(time.Millisecond))
	if got := e.configMapValue("web-config"); got != "v2" {
		t.Errorf("web-config = %q after the push, want v2", got)
	}
	if _, ok := e.get("other-repo").Annotations[v1alpha1.AnnotationSyncRequested]; ok {
		t.Error("the push of one repository asked GitSync other-repo, of another, to sync")
	}
	if n := bytes.Count([]byte(e.agent.Output()), []byte(`"webhook refused"`)); n != 2 {
		t.Errorf("the agent logged %d refusals, want 2 (unsigned, wrong secret)", n)
	}
}

// createReceiver creates a Receiver and its Secret and waits until it is
// Ready; it returns the webhook path from its status.
func (e *env) createReceiver(name string, provider v1alpha1.ReceiverProvider, token string) string {
	e.t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-token", Namespace: e.ns}, StringData: map[string]string{"token": token}}
	if err := kube.Client.Create(e.ctx, secret); err != nil {
		e.t.Fatal(err)
	}
	rcv := &v1alpha1.Receiver{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec:       v1alpha1.ReceiverSpec{Provider: provider, SecretRef: v1alpha1.LocalObjectReference{Name: secret.Name}},
	}
	if err := kube.Client.Create(e.ctx, rcv); err != nil {
		e.t.Fatal(err)
	}
	var path string
	e.eventually(30*time.Second, "Receiver "+name+" Ready", func() (bool, error) {
		var got v1alpha1.Receiver
		if err := kube.Client.Get(e.ctx, client.ObjectKeyFromObject(rcv), &got); err != nil {
			return false, err
		}
		path = got.Status.WebhookPath
		return meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionReady) && path != "", nil
	})
	return path
}

// githubPush is a GitHub push payload for the repository at cloneURL.
func githubPush(cloneURL, ref, after string) []byte {
	b, err := json.Marshal(map[string]any{
		"ref": ref, "after": after,
		"repository": map[string]any{"clone_url": cloneURL, "html_url": cloneURL[:len(cloneURL)-len(".git")], "full_name": "team/env"},
		"pusher":     map[string]any{"name": "e2e"},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func sign(body []byte, token string) string {
	return "sha256=" + receiver.Sign(body, []byte(token))
}

// deliver POSTs a GitHub delivery and returns the status code.
func deliver(t *testing.T, url, event string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", fmt.Sprint(time.Now().UnixNano()))
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
