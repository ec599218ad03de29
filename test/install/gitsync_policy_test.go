package install

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// testGitSyncPolicy checks, on the real API server, that tenant mode's
// policy refuses GitSyncs that name no service account or whose target
// namespace is another, with a message saying what to set, and admits one
// that stays in its namespace. Creates are dry-runs: admission runs,
// nothing is stored.
func testGitSyncPolicy(ctx context.Context, t *testing.T, ns string) {
	gitSync := func(name string, mutate func(*v1alpha1.GitSyncSpec)) *v1alpha1.GitSync {
		gs := &v1alpha1.GitSync{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: v1alpha1.GitSyncSpec{
				URL:                "https://git.example/env.git",
				Interval:           metav1.Duration{Duration: time.Hour},
				ServiceAccountName: "deployer",
			},
		}
		if mutate != nil {
			mutate(&gs.Spec)
		}
		return gs
	}
	tests := []struct {
		name    string
		gs      *v1alpha1.GitSync
		wantErr string // "" means admitted
	}{
		{"names its service account", gitSync("ok", nil), ""},
		{"targets its own namespace", gitSync("own-target", func(s *v1alpha1.GitSyncSpec) { s.TargetNamespace = ns }), ""},
		{"names no service account", gitSync("no-sa", func(s *v1alpha1.GitSyncSpec) { s.ServiceAccountName = "" }),
			"GitSync " + ns + "/no-sa: set spec.serviceAccountName to a ServiceAccount of namespace " + ns},
		{"targets another namespace", gitSync("elsewhere", func(s *v1alpha1.GitSyncSpec) { s.TargetNamespace = "kube-system" }),
			"GitSync " + ns + "/elsewhere: spec.targetNamespace must be empty or " + ns},
	}
	eventually(t, 30*time.Second, "the GitSync policy to deny", func() (bool, error) {
		err := kube.Client.Create(ctx, tests[2].gs.DeepCopy(), client.DryRunAll)
		return apierrors.IsInvalid(err), nil
	})
	for _, tt := range tests {
		err := kube.Client.Create(ctx, tt.gs.DeepCopy(), client.DryRunAll)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.wantErr != "" && (!apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: create: %v; want it refused with %q", tt.name, err, tt.wantErr)
		}
	}
	// An update that drops the account is refused too.
	ok := tests[0].gs.DeepCopy()
	if err := kube.Client.Create(ctx, ok); err != nil {
		t.Fatal(err)
	}
	defer kube.Client.Delete(ctx, ok)
	ok.Spec.ServiceAccountName = ""
	if err := kube.Client.Update(ctx, ok, client.DryRunAll); !apierrors.IsInvalid(err) {
		t.Errorf("update dropping serviceAccountName: %v; want it refused", err)
	}
}
