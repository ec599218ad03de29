package install

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestChartInstall installs the chart into the test cluster with the Helm
// SDK, in cluster mode and in tenant mode, and checks what it grants; in
// tenant mode it also runs the agent with the chart's account and syncs a
// GitSync the chart created.
func TestChartInstall(t *testing.T) {
	ctx := context.Background()
	t.Run("cluster mode", func(t *testing.T) {
		ns, err := kube.Namespace(ctx, "helm")
		if err != nil {
			t.Fatal(err)
		}
		rel := installChart(t, "cluster", ns, nil)
		objs := objects(t, rel.Manifest)
		mustExist(ctx, t, objs)
		waitEstablished(ctx, t, "gitsyncs.seal.dev")
		sa := "cluster-seal-agent"
		other, err := kube.Namespace(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		checkAccess(ctx, t, ns, sa, map[access]bool{
			{verb: "get", resource: "secrets", namespace: ns, name: "seal-agent-key"}:                         true,
			{verb: "patch", group: "seal.dev", resource: "gitsyncs", subresource: "status", namespace: other}: true,
			{verb: "get", resource: "secrets", namespace: other, name: "git"}:                                 true,
			{verb: "create", group: "apps", resource: "deployments", namespace: other}:                        true,
		})
	})
	t.Run("tenant mode", func(t *testing.T) {
		ns, err := kube.Namespace(ctx, "helm")
		if err != nil {
			t.Fatal(err)
		}
		team, repo := teamRepo(ctx, t)
		deployer(ctx, t, team)
		other, err := kube.Namespace(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		vals := tenantValues(team)
		spec := vals["gitSyncs"].([]any)[0].(map[string]any)["spec"].(map[string]any)
		spec["url"], spec["path"], spec["ref"] = git.HTTPURL(repo.Name), "config", map[string]any{"branch": "main"}
		spec["secretRef"], spec["targetNamespace"] = map[string]any{"name": "git-credentials"}, team
		// The cluster-mode release above installed the CRD and owns it.
		vals["crds"] = map[string]any{"install": false}
		rel := installChart(t, "tenant", ns, vals)
		// The tenant-mode admission policy binds cluster-wide: remove it so
		// later tests' cluster-mode GitSyncs are not refused.
		t.Cleanup(func() { deleteAdmission(t, objects(t, rel.Manifest)) })
		mustExist(ctx, t, objects(t, rel.Manifest))

		sa := "tenant-seal-agent"
		checkAccess(ctx, t, ns, sa, map[access]bool{
			{verb: "get", resource: "secrets", namespace: ns, name: "custom-key"}:     true,
			{verb: "get", resource: "secrets", namespace: ns, name: "seal-agent-key"}: false,
			// Tenant mode reads a GitSync's Secrets as its service account.
			{verb: "get", resource: "secrets", namespace: team, name: "git-credentials"}:                     false,
			{verb: "get", resource: "secrets", namespace: other, name: "git-credentials"}:                    false,
			{verb: "impersonate", resource: "serviceaccounts", namespace: team, name: "deployer"}:            true,
			{verb: "impersonate", resource: "serviceaccounts", namespace: other, name: "deployer"}:           false,
			{verb: "impersonate", resource: "serviceaccounts", namespace: "kube-system", name: "admin"}:      false,
			{verb: "create", group: "apps", resource: "deployments", namespace: team}:                        false,
			{verb: "patch", group: "seal.dev", resource: "gitsyncs", subresource: "status", namespace: team}: true,
		})
		testAdmissionPolicy(ctx, t, ns, sa, "custom-key")

		_ = startAgent(ctx, t, find(t, objects(t, rel.Manifest), "Deployment", sa))
		if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "custom-key"}, &corev1.Secret{}); err != nil {
			t.Errorf("the agent did not create its key Secret custom-key: %v", err)
		}
		waitReady(ctx, t, &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: "apps"}})
		var cm corev1.ConfigMap
		if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: team, Name: "settings"}, &cm); err != nil {
			t.Errorf("the chart's GitSync did not apply its ConfigMap: %v", err)
		}
		if !strings.Contains(rel.Info.Notes, "Tenant mode") {
			t.Errorf("NOTES.txt does not explain tenant mode:\n%s", rel.Info.Notes)
		}
	})
}

// deleteAdmission deletes the admission policies and bindings among objs.
func deleteAdmission(t *testing.T, objs []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetKind() != "ValidatingAdmissionPolicy" && o.GetKind() != "ValidatingAdmissionPolicyBinding" {
			continue
		}
		if err := kube.Client.Delete(context.Background(), o); client.IgnoreNotFound(err) != nil {
			t.Errorf("deleting %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}
