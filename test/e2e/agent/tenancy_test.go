package agent_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: escalate-%s
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
`

// deployer creates a ServiceAccount that may manage ConfigMaps in the
// test's namespace and read the named Secrets, and nothing else.
func (e *env) deployer(name string, secrets ...string) {
	e.t.Helper()
	e.deployerIn(e.ns, name, secrets...)
}

// deployerIn is deployer in namespace ns.
func (e *env) deployerIn(ns, name string, secrets ...string) {
	e.t.Helper()
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	}
	if len(secrets) > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: secrets})
	}
	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}}},
	}
	for _, o := range objs {
		if err := kube.Client.Create(e.ctx, o); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestServiceAccountLimitsWhatAGitSyncCanApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deployer("deployer", "tenant-git")
	sha := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("tenant", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.ServiceAccountName = "deployer" })
	e.waitApplied("tenant", sha)

	// The tenant's repository tries to grant itself cluster-wide rights.
	e.commit("escalate", map[string][]byte{"escalate.yaml": []byte(strings.ReplaceAll(clusterRole, "%s", e.ns))})
	msg := e.waitFailed("tenant", v1alpha1.ReasonApplyFailed)
	if !strings.Contains(msg, "escalate.yaml") || !strings.Contains(msg, "forbidden") {
		t.Errorf("Ready message %q does not name escalate.yaml as forbidden", msg)
	}
	var cr rbacv1.ClusterRole
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Name: "escalate-" + e.ns}, &cr); err == nil {
		t.Fatal("the tenant's ClusterRole was created with the agent's rights")
	}
}

func TestDefaultServiceAccountAppliesToGitSyncsWithoutOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--default-service-account", "deployer")
	e.deployer("deployer", "tenant-git")
	e.commit("escalate", map[string][]byte{
		"config.yaml":   configMap("web-config", "hello"),
		"escalate.yaml": []byte(strings.ReplaceAll(clusterRole, "%s", e.ns)),
	})
	e.createGitSync("tenant", time.Hour, nil)
	e.waitFailed("tenant", v1alpha1.ReasonApplyFailed)
	if e.configMapExists("web-config") {
		t.Error("part of a rejected commit was applied")
	}
}

func TestAGitSyncCannotUseSecretsItsAccountMayNotRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deployer("deployer") // may not read the credentials Secret
	e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("tenant", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.ServiceAccountName = "deployer" })
	msg := e.waitFailed("tenant", v1alpha1.ReasonGitFetchFailed)
	if !strings.Contains(msg, "forbidden") || !strings.Contains(msg, "tenant-git") {
		t.Errorf("Ready message %q does not say reading tenant-git is forbidden", msg)
	}
	if e.configMapExists("web-config") {
		t.Error("the repository was synced with credentials the account may not read")
	}
}
