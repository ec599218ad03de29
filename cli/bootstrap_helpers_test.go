package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/manifests"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// bootstrapEnv is a cluster, the built seal-agent standing in for the
// Deployment's pod (the test cluster has no nodes), and a Git checkout to
// run seal bootstrap in.
type bootstrapEnv struct {
	t     *testing.T
	c     *cluster.Cluster
	agent string // binary
	proc  *harness.Process
	wd    string
	env   map[string]string
	// tenant: the cluster holds tenant mode's install objects.
	tenant bool
}

// startAgent runs seal-agent as a local process against the cluster.
func (e *bootstrapEnv) startAgent() {
	e.t.Helper()
	p, err := harness.Start(harness.Command{Path: e.agent, Dir: e.t.TempDir(), Args: []string{
		"--kubeconfig", e.c.Kubeconfig, "--agent-namespace", "seal-system",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--webhook-bind-address", "0",
		"--data-dir", filepath.Join(e.t.TempDir(), "data"), "--log-format", "text",
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.proc = p
}

// stopAgent stops the agent, if it runs; the test that started the
// environment calls it in a cleanup too.
func (e *bootstrapEnv) stopAgent(t *testing.T) {
	if e.proc == nil {
		return
	}
	if err, killed := e.proc.Stop(20 * time.Second); killed || err != nil {
		t.Errorf("seal-agent: exit %v (killed: %v); output:\n%s", err, killed, e.proc.Output())
	}
	e.proc = nil
}

// bootstrapWithAgent runs seal bootstrap and starts the agent as soon as
// bootstrap has applied the Deployment (the CRD and Namespace exist then),
// as the Deployment's pod would start.
func (e *bootstrapEnv) bootstrapWithAgent(args ...string) cliRun {
	e.t.Helper()
	done := make(chan cliRun, 1)
	go func() { done <- e.bootstrap(args...) }()
	var d appsv1.Deployment
	waitFor(e.t, 60*time.Second, "bootstrap to apply the Deployment", func() bool {
		select {
		case r := <-done:
			e.t.Fatalf("bootstrap ended before it applied the Deployment: %+v", r)
		default:
		}
		return e.c.Client.Get(context.Background(), client.ObjectKey{Namespace: "seal-system", Name: "seal-agent"}, &d) == nil
	})
	e.startAgent()
	select {
	case r := <-done:
		return r
	case <-time.After(2 * time.Minute):
		e.t.Fatal("seal bootstrap did not end")
		return cliRun{}
	}
}

// bootstrap runs seal bootstrap in the checkout against the cluster.
func (e *bootstrapEnv) bootstrap(args ...string) cliRun {
	return runSeal(e.t, e.wd, e.env, "", append([]string{"bootstrap", "--kubeconfig", e.c.Kubeconfig}, args...)...)
}

// recipient is the agent's published recipient.
func (e *bootstrapEnv) recipient() string {
	e.t.Helper()
	r := e.recipientOrEmpty()
	if r == "" {
		e.t.Fatal("the agent has not published its recipient")
	}
	return r
}

// scrub replaces what varies between runs in bootstrap's output.
func (e *bootstrapEnv) scrub(s string, more map[string]string) string {
	s = strings.ReplaceAll(s, strings.TrimSuffix(e.c.Config.Host, "/"), "<CLUSTER>")
	if r := e.recipientOrEmpty(); r != "" {
		s = strings.ReplaceAll(s, keys.Short(r), "<AGENT-KEY>")
	}
	for old, placeholder := range more {
		s = strings.ReplaceAll(s, old, placeholder)
	}
	return s
}

func (e *bootstrapEnv) recipientOrEmpty() string {
	var cm corev1.ConfigMap
	if err := e.c.Client.Get(context.Background(), client.ObjectKey{Namespace: "seal-system", Name: keyring.PublicKeyConfigMap}, &cm); err != nil {
		return ""
	}
	return strings.TrimSpace(cm.Data[keyring.RecipientKey])
}

// installedObjects returns, by "Kind/namespace/name", the resourceVersion
// of every object of the manifests plus extra; it fails the test when one
// is missing.
func (e *bootstrapEnv) installedObjects(extra ...*unstructured.Unstructured) map[string]string {
	e.t.Helper()
	objs, err := manifests.Build(manifests.Options{Tenant: e.tenant})
	if err != nil {
		e.t.Fatal(err)
	}
	rvs := map[string]string{}
	for _, o := range append(objs, extra...) {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(o.GroupVersionKind())
		key := client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}
		if err := e.c.Client.Get(context.Background(), key, live); err != nil {
			e.t.Errorf("%s %s: %v", o.GetKind(), key, err)
			continue
		}
		rvs[o.GetKind()+"/"+key.String()] = live.GetResourceVersion()
	}
	return rvs
}

// objectRef is an unstructured object naming one to look up.
func objectRef(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// waitReady waits until the GitSync is Ready and returns it.
func (e *bootstrapEnv) waitReady(namespace, name string) *v1alpha1.GitSync {
	e.t.Helper()
	gs := &v1alpha1.GitSync{}
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := e.c.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, gs)
		switch {
		case err == nil && gitSyncReady(gs):
			return gs
		case time.Now().After(deadline):
			e.t.Fatalf("GitSync %s/%s not Ready after 90s: %+v (%v)", namespace, name, gitSyncRow(gs), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// impersonatingKubeconfig writes a copy of the cluster's kubeconfig that
// acts as user, who holds no permissions.
func impersonatingKubeconfig(t *testing.T, c *cluster.Cluster, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.AuthInfos {
		a.Impersonate = user
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
