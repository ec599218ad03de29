package install

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// testAgentClusterMode runs the agent as the Deployment would, with its
// account's own token, and checks that it syncs a Deployment and a Role
// from Git as itself.
func testAgentClusterMode(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) {
	ns, repo := teamRepo(ctx, t)
	startAgent(ctx, t, dep)
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
	startAgent(ctx, t, dep)
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
	asAgent := createGitSync(ctx, t, ns, "as-agent", repo, "config", "")
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
		{asAgent, saUser(agentNS, agentSA)},
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
}

// deployer makes service account deployer in ns, which may manage
// ConfigMaps there and nothing else.
func deployer(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	objs := []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deployer"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"},
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

// startAgent runs the built seal-agent with the container args and env of
// the installed Deployment, authenticated with a token of the Deployment's
// service account, so what it may do is exactly what the install grants.
// Only the paths and addresses are changed: the data dir to a temporary
// one, metrics off, and the probe port to a free local one, where the
// Deployment's liveness and readiness paths must answer 200. The agent is
// stopped when the test ends.
func startAgent(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) {
	t.Helper()
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(dep.Object, &d); err != nil {
		t.Fatal(err)
	}
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	probe := freeAddr(t)
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--data-dir="):
			a = "--data-dir=" + filepath.Join(t.TempDir(), "data")
		case strings.HasPrefix(a, "--metrics-bind-address="):
			a = "--metrics-bind-address=0"
		case strings.HasPrefix(a, "--health-probe-bind-address="):
			a = "--health-probe-bind-address=" + probe
		}
		args = append(args, a)
	}
	args = append(args, "--kubeconfig", tokenKubeconfig(ctx, t, d.Namespace, pod.ServiceAccountName), "--log-format=text")
	var env []string
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env = append(env, e.Name+"="+d.Namespace)
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		default:
			t.Fatalf("env %s: the test does not know how to fill it", e.Name)
		}
	}
	p, err := harness.Start(harness.Command{Path: bin.Agent, Args: args, Env: env, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err, killed := p.Stop(20 * time.Second); killed || err != nil {
			t.Errorf("seal-agent did not stop cleanly (killed: %v): %v", killed, err)
		}
		if t.Failed() {
			t.Logf("seal-agent output:\n%s", tail(p.Output(), 40))
		}
	})
	for _, path := range []string{c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path} {
		eventually(t, 30*time.Second, "seal-agent to answer "+path, func() (bool, error) {
			if p.Exited() {
				return false, fmt.Errorf("seal-agent exited:\n%s", tail(p.Output(), 20))
			}
			resp, err := http.Get("http://" + probe + path)
			if err != nil {
				return false, nil
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, nil
		})
	}
	eventually(t, 30*time.Second, "seal-agent to lead", func() (bool, error) {
		var l coordinationv1.Lease
		err := kube.Client.Get(ctx, client.ObjectKey{Namespace: d.Namespace, Name: "seal-agent.seal.dev"}, &l)
		if err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity != "", nil
	})
}

// tokenKubeconfig writes a kubeconfig authenticating with a fresh token of
// the service account (TokenRequest), as the pod's mounted token would.
func tokenKubeconfig(ctx context.Context, t *testing.T, ns, name string) string {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	exp := int64(3600)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}
	if err := kube.Client.SubResource("token").Create(ctx, sa, tr); err != nil {
		t.Fatalf("requesting a token for %s/%s: %v", ns, name, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: kube.Config.Host, CertificateAuthorityData: kube.Config.CAData}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["sa"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "sa"}
	cfg.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
