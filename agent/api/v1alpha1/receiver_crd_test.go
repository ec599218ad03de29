package v1alpha1_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestAPIServerValidatesReceivers(t *testing.T) {
	c, ns := env(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		spec    v1alpha1.ReceiverSpec
		wantErr string
	}{
		{"github", v1alpha1.ReceiverSpec{Provider: v1alpha1.ProviderGitHub, SecretRef: v1alpha1.LocalObjectReference{Name: "token"}}, ""},
		{"forgejo with a selector", v1alpha1.ReceiverSpec{Provider: v1alpha1.ProviderForgejo, SecretRef: v1alpha1.LocalObjectReference{Name: "token"},
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}}}, ""},
		{"unknown provider", v1alpha1.ReceiverSpec{Provider: "svn", SecretRef: v1alpha1.LocalObjectReference{Name: "token"}}, "spec.provider"},
		{"no secret", v1alpha1.ReceiverSpec{Provider: v1alpha1.ProviderGitLab}, "spec.secretRef.name"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &v1alpha1.Receiver{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "receiver-" + string(rune('a'+i))}, Spec: tt.spec}
			err := c.Client.Create(ctx, r)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("create refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("create: error %v, want one naming %s", err, tt.wantErr)
			case tt.wantErr == "" && r.WebhookPath() == "":
				t.Error("a created Receiver has no webhook path (no uid?)")
			}
		})
	}
}
