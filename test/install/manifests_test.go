package install

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/manifests"
)

const (
	agentNS = "seal-system"
	agentSA = "seal-agent"
)

func build(t *testing.T, opts manifests.Options) []*unstructured.Unstructured {
	t.Helper()
	objs, err := manifests.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// TestManifests installs manifests/ in cluster mode, checks it, runs the
// agent with the installed account, then switches the same install to
// tenant mode and does it again. The steps share seal-system, so they run
// in order and stop at the first failed install.
func TestManifests(t *testing.T) {
	ctx := context.Background()
	clusterMode := build(t, manifests.Options{})
	tenantMode := build(t, manifests.Options{Tenant: true})
	team, err := kube.Namespace(ctx, "team")
	if err != nil {
		t.Fatal(err)
	}

	if !t.Run("cluster mode is accepted", func(t *testing.T) {
		if warns := applyAll(ctx, t, clusterMode); len(warns) != 0 {
			t.Errorf("the API server warned:\n%s", strings.Join(warns, "\n"))
		}
		mustExist(ctx, t, clusterMode)
	}) {
		return
	}
	t.Run("the Deployment meets restricted Pod Security", func(t *testing.T) {
		testPodSecurity(ctx, t, find(t, clusterMode, "Deployment", "seal-agent"))
	})
	t.Run("cluster mode access", func(t *testing.T) {
		want := agentNeeds(team)
		for a, ok := range map[access]bool{
			// seal-agent-apply: anything Git holds.
			{verb: "create", group: "apps", resource: "deployments", namespace: team}:             true,
			{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"}: true,
		} {
			want[a] = ok
		}
		checkAccess(ctx, t, agentNS, agentSA, want)
	})
	t.Run("the agent runs with cluster mode's account", func(t *testing.T) {
		testAgentClusterMode(ctx, t, find(t, clusterMode, "Deployment", "seal-agent"))
	})

	if !t.Run("tenant mode is accepted", func(t *testing.T) {
		if warns := applyAll(ctx, t, tenantMode); len(warns) != 0 {
			t.Errorf("the API server warned:\n%s", strings.Join(warns, "\n"))
		}
		// Switching modes removes seal-agent-apply, as
		// `kubectl apply --prune` or a reinstall would,
		// and seal-agent-credentials (tenant mode reads a GitSync's
		// Secrets as its service account).
		for _, name := range []string{"seal-agent-apply", "seal-agent-credentials"} {
			crb := &rbacv1.ClusterRoleBinding{}
			crb.Name = name
			if err := kube.Client.Delete(ctx, crb); err != nil {
				t.Fatal(err)
			}
		}
		mustExist(ctx, t, tenantMode)
	}) {
		return
	}
	t.Run("tenant mode access", func(t *testing.T) {
		want := agentNeeds(team)
		for a, ok := range map[access]bool{
			// Apply only by impersonating an account in the GitSync's
			// namespace.
			{verb: "impersonate", resource: "serviceaccounts", namespace: team, name: "deployer"}: true,
			// A GitSync's Secrets are read as its account, never the agent's.
			{verb: "get", resource: "secrets", namespace: team, name: "git-credentials"}:          false,
			{verb: "create", group: "apps", resource: "deployments", namespace: team}:             false,
			{verb: "create", group: "apps", resource: "deployments", namespace: agentNS}:          false,
			{verb: "create", resource: "configmaps", namespace: team}:                             false,
			{verb: "create", resource: "pods", namespace: agentNS}:                                false,
			{verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"}: false,
			{verb: "bind", group: "rbac.authorization.k8s.io", resource: "clusterroles"}:          false,
			{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "clusterroles"}:      false,
			{verb: "impersonate", resource: "users", name: "admin"}:                               false,
			{verb: "impersonate", resource: "groups", name: "system:masters"}:                     false,
			// Its key: never listed or deleted; updated only to add an
			// identity seal keys rotate --cluster asks for, or to restore it.
			{verb: "update", resource: "secrets", namespace: agentNS, name: "seal-agent-key"}: true,
			{verb: "delete", resource: "secrets", namespace: agentNS, name: "seal-agent-key"}: false,
			{verb: "list", resource: "secrets", namespace: agentNS}:                           false,
			{verb: "watch", resource: "secrets", namespace: agentNS}:                          false,
			{verb: "list", resource: "secrets"}:                                               false,
			// No other ConfigMap or Lease of its namespace, no tokens.
			{verb: "get", resource: "configmaps", namespace: agentNS, name: "other"}:                               false,
			{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: agentNS, name: "x"}:      false,
			{verb: "create", resource: "serviceaccounts", subresource: "token", namespace: agentNS, name: agentSA}: false,
			// GitSyncs belong to their users: status, and a merge patch of
			// metadata.finalizers for the agent's finalizer.
			{verb: "update", group: "seal.dev", resource: "gitsyncs", namespace: team}: false,
			{verb: "patch", group: "seal.dev", resource: "gitsyncs", namespace: team}:  true,
			{verb: "delete", group: "seal.dev", resource: "gitsyncs", namespace: team}: false,
			{verb: "create", group: "seal.dev", resource: "gitsyncs", namespace: team}: false,
		} {
			want[a] = ok
		}
		checkAccess(ctx, t, agentNS, agentSA, want)
	})
	t.Run("the key Secret is the agent's alone", func(t *testing.T) {
		key := access{verb: "get", resource: "secrets", namespace: agentNS, name: "seal-agent-key"}
		for _, sa := range [][2]string{{agentNS, "default"}, {team, "default"}, {"kube-system", "default"}} {
			checkAccess(ctx, t, sa[0], sa[1], map[access]bool{key: false})
		}
	})
	t.Run("tenant mode admission policy", func(t *testing.T) {
		testAdmissionPolicy(ctx, t, agentNS, agentSA, "seal-agent-key")
	})
	t.Run("tenant mode GitSync policy", func(t *testing.T) {
		testGitSyncPolicy(ctx, t, team)
	})
	t.Run("the agent runs with tenant mode's account", func(t *testing.T) {
		testAgentTenantMode(ctx, t, find(t, tenantMode, "Deployment", "seal-agent"))
	})
}

// agentNeeds is what the agent must be able to do in either mode, with
// GitSyncs in namespace team.
func agentNeeds(team string) map[access]bool {
	return map[access]bool{
		{verb: "list", group: "seal.dev", resource: "gitsyncs"}:                                                             true,
		{verb: "watch", group: "seal.dev", resource: "gitsyncs"}:                                                            true,
		{verb: "patch", group: "seal.dev", resource: "gitsyncs", subresource: "status", namespace: team}:                    true,
		{verb: "create", group: "events.k8s.io", resource: "events", namespace: team}:                                       true,
		{verb: "patch", group: "events.k8s.io", resource: "events", namespace: team}:                                        true,
		{verb: "get", resource: "secrets", namespace: team, name: "git-credentials"}:                                        true,
		{verb: "get", resource: "secrets", namespace: agentNS, name: "seal-agent-key"}:                                      true,
		{verb: "create", resource: "secrets", namespace: agentNS}:                                                           true,
		{verb: "get", resource: "configmaps", namespace: agentNS, name: "seal-agent-public-key"}:                            true,
		{verb: "update", resource: "configmaps", namespace: agentNS, name: "seal-agent-public-key"}:                         true,
		{verb: "create", resource: "configmaps", namespace: agentNS}:                                                        true,
		{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: agentNS, name: "seal-agent.seal.dev"}:    true,
		{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: agentNS, name: "seal-agent.seal.dev"}: true,
		{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: agentNS}:                              true,
		{verb: "create", resource: "events", namespace: agentNS}:                                                            true,
	}
}
