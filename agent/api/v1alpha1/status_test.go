package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func sampleStatus() v1alpha1.GitSyncStatus {
	s := v1alpha1.GitSyncStatus{
		ObservedGeneration:    1,
		LastAttemptedRevision: sha,
		AppliedObjects:        []string{"ConfigMap/v1 apps/settings", "Deployment.apps/v1 apps/web"},
		LastSync: &v1alpha1.SyncSummary{
			Created: 2, Configured: 1, Unchanged: 3, Pruned: 1, DriftCorrected: 1,
			Duration: metav1.Duration{Duration: 1500 * time.Millisecond},
			Time:     metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)),
		},
		DecryptionKeys: []v1alpha1.KeyUsage{{Fingerprint: "sha256:0123456789abcdef", Files: 2}},
	}
	s.SetLastAppliedRevision(sha)
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded,
		Message: "applied revision " + sha[:12], ObservedGeneration: 1,
	})
	s.Conditions[0].LastTransitionTime = metav1.NewTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	return s
}

func TestStatusSubresource(t *testing.T) {
	c, ns := env(t)
	ctx := context.Background()
	gs := newGitSync(ns, "status", v1alpha1.GitSyncSpec{URL: "https://git.example.com/env.git"})
	if err := c.Client.Create(ctx, gs); err != nil {
		t.Fatal(err)
	}

	// Status written through the main resource is dropped.
	gs.Status = sampleStatus()
	if err := c.Client.Update(ctx, gs); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.GitSync
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v1alpha1.GitSyncStatus{}, got.Status); diff != "" {
		t.Errorf("status written through the main resource was kept (-want +got):\n%s", diff)
	}

	// Status written through the subresource is kept, spec changes in the
	// same request are dropped, and the generation does not move. (The
	// update above may have moved it: Go writes "5m" back as "5m0s".)
	generation := got.Generation
	got.Status = sampleStatus()
	got.Spec.Suspend = true
	if err := c.Client.Status().Update(ctx, &got); err != nil {
		t.Fatal(err)
	}
	var after v1alpha1.GitSync
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), &after); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleStatus(), after.Status); diff != "" {
		t.Errorf("status after the status update (-want +got):\n%s", diff)
	}
	if after.Spec.Suspend {
		t.Error("a status update changed the spec")
	}
	if after.Generation != generation {
		t.Errorf("generation moved from %d to %d on status updates", generation, after.Generation)
	}

	// A bad fingerprint is refused.
	after.Status.DecryptionKeys[0].Fingerprint = "age1notafingerprint"
	if err := c.Client.Status().Update(ctx, &after); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("status update with a bad fingerprint: error = %v, want one about the fingerprint", err)
	}
}

func TestKubectlGetShowsColumns(t *testing.T) {
	c, ns := env(t)
	ctx := context.Background()
	gs := newGitSync(ns, "apps", v1alpha1.GitSyncSpec{URL: "https://git.example.com/env.git", Ref: v1alpha1.GitRef{Tag: "v1.2.0"}})
	if err := c.Client.Create(ctx, gs); err != nil {
		t.Fatal(err)
	}
	gs.Status = sampleStatus()
	if err := c.Client.Status().Update(ctx, gs); err != nil {
		t.Fatal(err)
	}
	out, err := c.Kubectl(ctx, "get", "gs", "-n", ns, "--no-headers=false")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("kubectl get gs printed %d lines, want a header and one row:\n%s", len(lines), out)
	}
	wantHeader := []string{"NAME", "URL", "REF", "REVISION", "READY", "STATUS", "AGE"}
	if diff := cmp.Diff(wantHeader, strings.Fields(lines[0])); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	row := strings.Fields(lines[1])
	wantRow := []string{"apps", "https://git.example.com/env.git", "v1.2.0", "0123456789ab", "True", "applied", "revision", "0123456789ab"}
	if len(row) < len(wantRow) {
		t.Fatalf("row %q has too few fields", lines[1])
	}
	if diff := cmp.Diff(wantRow, row[:len(wantRow)]); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
}

func TestKubectlExplainDescribesFields(t *testing.T) {
	c, _ := env(t)
	ctx := context.Background()
	tests := []struct{ field, want string }{
		{"gitsync.spec.url", "scp-like"},
		{"gitsync.spec.secretRef", "known_hosts"},
		{"gitsync.spec.ref", "at most one may be set"},
		{"gitsync.status.decryptionKeys", "how many files each opened"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			// The OpenAPI document is published shortly after the CRD is
			// established; retry briefly.
			var out string
			var err error
			for range 50 {
				if out, err = c.Kubectl(ctx, "explain", tt.field); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(strings.Fields(out), " "), tt.want) {
				t.Errorf("kubectl explain %s lacks %q:\n%s", tt.field, tt.want, out)
			}
		})
	}
}
