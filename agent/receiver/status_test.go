package receiver

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestStatusReconciler(t *testing.T) {
	tests := []struct {
		name       string
		secret     *corev1.Secret // replaces the world's; nil deletes it
		wantStatus metav1.ConditionStatus
		wantMsg    string
	}{
		{"usable token", &corev1.Secret{Data: map[string][]byte{"token": []byte(testToken)}}, metav1.ConditionTrue, "receiving github pushes at /hook/"},
		{"no Secret", nil, metav1.ConditionFalse, "Secret team/webhook-token not found"},
		{"no token key", &corev1.Secret{Data: map[string][]byte{"secret": []byte(testToken)}}, metav1.ConditionFalse, `has no key "token"`},
		{"short token", &corev1.Secret{Data: map[string][]byte{"token": []byte("short")}}, metav1.ConditionFalse, "shorter than 16 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, v1alpha1.ProviderGitHub, "https://github.com/org/env", "git@github.com:org/env", nil, nil)
			ctx := t.Context()
			var secret corev1.Secret
			if err := w.client.Get(ctx, client.ObjectKey{Namespace: testNS, Name: "webhook-token"}, &secret); err != nil {
				t.Fatal(err)
			}
			if tt.secret == nil {
				if err := w.client.Delete(ctx, &secret); err != nil {
					t.Fatal(err)
				}
			} else {
				secret.Data = tt.secret.Data
				if err := w.client.Update(ctx, &secret); err != nil {
					t.Fatal(err)
				}
			}
			r := &StatusReconciler{Client: w.client, Secrets: w.client}
			res, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(w.rcv)})
			if err != nil {
				t.Fatal(err)
			}
			if res.RequeueAfter <= 0 {
				t.Errorf("no recheck scheduled: the Secret is not watched")
			}
			var got v1alpha1.Receiver
			if err := w.client.Get(ctx, client.ObjectKeyFromObject(w.rcv), &got); err != nil {
				t.Fatal(err)
			}
			if got.Status.WebhookPath != w.rcv.WebhookPath() || !strings.HasPrefix(got.Status.WebhookPath, "/hook/") || len(got.Status.WebhookPath) != len("/hook/")+64 {
				t.Errorf("status.webhookPath = %q, want %q", got.Status.WebhookPath, w.rcv.WebhookPath())
			}
			ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tt.wantStatus || !strings.Contains(ready.Message, tt.wantMsg) {
				t.Errorf("Ready = %+v, want %s with %q", ready, tt.wantStatus, tt.wantMsg)
			}
			if strings.Contains(ready.Message, testToken) {
				t.Errorf("the condition holds the token: %q", ready.Message)
			}
		})
	}
}

func TestWebhookPathDependsOnUIDNamespaceAndName(t *testing.T) {
	base := v1alpha1.Receiver{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "b", UID: "u1"}}
	paths := map[string]bool{base.WebhookPath(): true}
	for _, r := range []v1alpha1.Receiver{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "b", UID: "u2"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "c", UID: "u1"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ab", Name: "", UID: "u1"}},
	} {
		paths[r.WebhookPath()] = true
	}
	if len(paths) != 4 {
		t.Errorf("webhook paths collide: %v", paths)
	}
	if (&v1alpha1.Receiver{}).WebhookPath() != "" {
		t.Error("a Receiver without a uid (not yet created) has a webhook path")
	}
}
