package install

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/receiver"
	"github.com/seal-gitops/seal/test/gitserver"
)

// testTenantReceiver checks the README's tenant-mode Receiver setup with
// the agent running under tenant mode's account: the agent may not read
// the Receiver's token Secret, so the Receiver is not Ready and a delivery
// is refused; a Role granting get on that one Secret to seal-agent makes
// it Ready (within the 30 s recheck, without a restart), and a signed push
// then syncs gs, whose interval is an hour.
func testTenantReceiver(ctx context.Context, t *testing.T, gs *v1alpha1.GitSync, repo *gitserver.Repo, hook, agentSA string) {
	t.Helper()
	ns := gs.Namespace
	const token = "tenant-receiver-token-0123456789abcdef"
	objs := []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook-token"}, StringData: map[string]string{"token": token}},
		&v1alpha1.Receiver{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "push"},
			Spec: v1alpha1.ReceiverSpec{Provider: v1alpha1.ProviderGitHub, SecretRef: v1alpha1.LocalObjectReference{Name: "webhook-token"}}},
	}
	for _, o := range objs {
		if err := kube.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	rcv := objs[1].(*v1alpha1.Receiver)
	var path string
	ready := func(want metav1.ConditionStatus) func() (bool, error) {
		return func() (bool, error) {
			if err := kube.Client.Get(ctx, client.ObjectKeyFromObject(rcv), rcv); err != nil {
				return false, err
			}
			path = rcv.Status.WebhookPath
			c := meta.FindStatusCondition(rcv.Status.Conditions, v1alpha1.ConditionReady)
			return c != nil && c.Status == want && path != "", nil
		}
	}
	eventually(t, 60*time.Second, "Receiver push Ready=False without the grant", ready(metav1.ConditionFalse))
	if msg := meta.FindStatusCondition(rcv.Status.Conditions, v1alpha1.ConditionReady).Message; !strings.Contains(msg, "forbidden") {
		t.Errorf("Receiver push not Ready: %q; want it to say reading the Secret is forbidden", msg)
	}
	sha, err := repo.Commit("pushed", map[string][]byte{"config/pushed.yaml": []byte(
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pushed\ndata:\n  by: webhook\n")})
	if err != nil {
		t.Fatal(err)
	}
	if code := deliver(t, hook, path, token, repo, sha); code != http.StatusUnauthorized {
		t.Errorf("a signed delivery to a Receiver whose token the agent may not read: %d, want 401", code)
	}

	// The grant the README gives: get on the token Secret alone.
	grant := []client.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "seal-agent-webhook-token"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"webhook-token"}, Verbs: []string{"get"},
		}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "seal-agent-webhook-token"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "seal-agent-webhook-token"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: agentNS, Name: agentSA}}},
	}
	for _, o := range grant {
		if err := kube.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 90*time.Second, "Receiver push Ready=True after the grant", ready(metav1.ConditionTrue))
	if code := deliver(t, hook, path, token, repo, sha); code != http.StatusOK && code != http.StatusAccepted {
		t.Fatalf("a signed delivery after the grant: %d, want 200 or 202", code)
	}
	eventually(t, 60*time.Second, "the pushed commit applied through the webhook", func() (bool, error) {
		var got v1alpha1.GitSync
		if err := kube.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
			return false, err
		}
		return got.Status.LastAppliedRevision == sha, nil
	})
	var cm corev1.ConfigMap
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pushed"}, &cm); err != nil {
		t.Errorf("the pushed ConfigMap: %v", err)
	}
}

// deliver posts a GitHub push of sha on main of repo to the agent's
// receiver at path, signed with token, and returns the status code.
func deliver(t *testing.T, hook, path, token string, repo *gitserver.Repo, sha string) int {
	t.Helper()
	url := git.HTTPURL(repo.Name)
	body, err := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "after": sha,
		"repository": map[string]any{"clone_url": url, "html_url": strings.TrimSuffix(url, ".git"), "full_name": "team/" + repo.Name},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+hook+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+receiver.Sign(body, []byte(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
