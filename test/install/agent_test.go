package install

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/test/gitserver"
)

// testAgentClusterMode runs the agent as the Deployment would, with its
// account's own token, and checks that it syncs a Deployment and a Role
// from Git as itself.
func testAgentClusterMode(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) {
	ns, repo := teamRepo(ctx, t)
	_ = startAgent(ctx, t, dep)
	gs := createGitSync(ctx, t, ns, "as-agent", repo, "apps", "")
	waitReady(ctx, t, gs)
	var d appsv1.Deployment
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &d); err != nil {
		t.Errorf("the Deployment in Git was not applied: %v", err)
	}
}

// testAgentTenantMode runs the agent with tenant mode's account, after
// removing its key, public key and Lease so that it creates them again
// under tenant mode's rules, and checks that it applies only through the
// account a GitSync names.
func testAgentTenantMode(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) {
	for _, o := range []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: agentNS, Name: keyring.DefaultSecretName}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: agentNS, Name: keyring.PublicKeyConfigMap}},
		&coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: agentNS, Name: "seal-agent.seal.dev"}},
	} {
		if err := kube.Client.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
	}
	ns, repo := teamRepo(ctx, t)
	deployer(ctx, t, ns)
	hook := startAgent(ctx, t, dep)
	for _, o := range []struct {
		obj  client.Object
		name string
	}{
		{&corev1.Secret{}, keyring.DefaultSecretName},
		{&corev1.ConfigMap{}, keyring.PublicKeyConfigMap},
		{&coordinationv1.Lease{}, "seal-agent.seal.dev"},
	} {
		if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: agentNS, Name: o.name}, o.obj); err != nil {
			t.Errorf("the agent did not create %T %s: %v", o.obj, o.name, err)
		}
	}

	allowed := createGitSync(ctx, t, ns, "as-deployer", repo, "config", "deployer")
	// A GitSync that would apply as the agent is refused at create time.
	asAgent := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Name: "as-agent", Namespace: ns},
		Spec: v1alpha1.GitSyncSpec{URL: git.HTTPURL(repo.Name), Interval: metav1.Duration{Duration: time.Hour}}}
	if err := kube.Client.Create(ctx, asAgent); !strings.Contains(fmt.Sprint(err), "spec.serviceAccountName") {
		t.Errorf("creating a GitSync without serviceAccountName: %v; want it refused", err)
	}
	tooMuch := createGitSync(ctx, t, ns, "deployer-deployment", repo, "apps", "deployer")
	waitReady(ctx, t, allowed)
	var cm corev1.ConfigMap
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "settings"}, &cm); err != nil {
		t.Errorf("the ConfigMap in Git was not applied as deployer: %v", err)
	}
	for _, tt := range []struct {
		gs   *v1alpha1.GitSync
		user string
	}{
		{tooMuch, saUser(ns, "deployer")},
	} {
		msg := waitFailed(ctx, t, tt.gs, v1alpha1.ReasonApplyFailed)
		if !strings.Contains(msg, "forbidden") || !strings.Contains(msg, tt.user) {
			t.Errorf("GitSync %s: message %q; want it to say %s was forbidden", tt.gs.Name, msg, tt.user)
		}
	}
	var d appsv1.Deployment
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &d); err == nil {
		t.Errorf("Deployment %s/web exists: tenant mode applied what deployer may not", ns)
	}
	sa, _, _ := unstructured.NestedString(dep.Object, "spec", "template", "spec", "serviceAccountName")
	testTenantReceiver(ctx, t, allowed, repo, hook, sa)
}

// deployer makes service account deployer in ns, which may manage
// ConfigMaps there and read the git-credentials Secret (the agent reads a
// GitSync's Secrets as its service account), and nothing else.
func deployer(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"},
		}, {
			APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"git-credentials"}, Verbs: []string{"get"},
		}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: "deployer"}}},
	}
	for _, o := range objs {
		if err := kube.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

var teams atomic.Int64

// teamRepo makes a namespace with git credentials and a repository with
// config/ (a ConfigMap) and apps/ (a Deployment, a Role and a ConfigMap).
func teamRepo(ctx context.Context, t *testing.T) (string, *gitserver.Repo) {
	t.Helper()
	ns, err := kube.Namespace(ctx, "sync")
	if err != nil {
		t.Fatal(err)
	}
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "git-credentials", Namespace: ns},
		StringData: map[string]string{"username": git.Username, "password": git.Password},
	}
	if err := kube.Client.Create(ctx, creds); err != nil {
		t.Fatal(err)
	}
	repo, err := git.CreateRepo(fmt.Sprintf("team-%d", teams.Add(1)), filepath.Join(t.TempDir(), "work"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("team config", map[string][]byte{
		"config/settings.yaml": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"),
		"apps/web.yaml": []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example/web:1
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: web-reader
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get"]
`),
	}); err != nil {
		t.Fatal(err)
	}
	return ns, repo
}

func createGitSync(ctx context.Context, t *testing.T, ns, name string, repo *gitserver.Repo, path, sa string) *v1alpha1.GitSync {
	t.Helper()
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.GitSyncSpec{
			URL:                git.HTTPURL(repo.Name),
			Path:               path,
			Interval:           metav1.Duration{Duration: time.Hour},
			SecretRef:          &v1alpha1.LocalObjectReference{Name: "git-credentials"},
			TargetNamespace:    ns,
			ServiceAccountName: sa,
			// No controller runs in the test cluster: the Deployment
			// would never become available.
			Wait: new(false),
		},
	}
	if err := kube.Client.Create(ctx, gs); err != nil {
		t.Fatal(err)
	}
	return gs
}

func readyCondition(ctx context.Context, t *testing.T, gs *v1alpha1.GitSync) *metav1.Condition {
	t.Helper()
	var got v1alpha1.GitSync
	if err := kube.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
		t.Fatal(err)
	}
	return meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
}

func waitReady(ctx context.Context, t *testing.T, gs *v1alpha1.GitSync) {
	t.Helper()
	var last *metav1.Condition
	eventually(t, 60*time.Second, "GitSync "+gs.Name+" Ready", func() (bool, error) {
		last = readyCondition(ctx, t, gs)
		if last != nil && last.Status == metav1.ConditionFalse && last.Reason != v1alpha1.ReasonProgressing {
			return false, fmt.Errorf("Ready=False %s: %s", last.Reason, last.Message)
		}
		return last != nil && last.Status == metav1.ConditionTrue, nil
	})
}

func waitFailed(ctx context.Context, t *testing.T, gs *v1alpha1.GitSync, reason string) string {
	t.Helper()
	var last *metav1.Condition
	eventually(t, 60*time.Second, "GitSync "+gs.Name+" Ready=False "+reason, func() (bool, error) {
		last = readyCondition(ctx, t, gs)
		return last != nil && last.Status == metav1.ConditionFalse && last.Reason == reason, nil
	})
	return last.Message
}
