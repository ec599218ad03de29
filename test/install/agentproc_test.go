package install

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// startAgent runs the built seal-agent with the container args and env of
// the installed Deployment, authenticated with a token of the Deployment's
// service account, so what it may do is exactly what the install grants.
// Only the paths and addresses are changed: the data dir to a temporary
// one, metrics off, and the probe and webhook ports to free local ones
// (the Deployment's liveness and readiness paths must answer 200 on the
// probe port). The agent is stopped when the test ends. It returns the
// webhook receiver's address.
func startAgent(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) string {
	t.Helper()
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(dep.Object, &d); err != nil {
		t.Fatal(err)
	}
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	probe, hook := freeAddr(t), freeAddr(t)
	var args []string
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--data-dir="):
			a = "--data-dir=" + filepath.Join(t.TempDir(), "data")
		case strings.HasPrefix(a, "--metrics-bind-address="):
			a = "--metrics-bind-address=0"
		case strings.HasPrefix(a, "--health-probe-bind-address="):
			a = "--health-probe-bind-address=" + probe
		case strings.HasPrefix(a, "--webhook-bind-address="):
			a = "--webhook-bind-address=" + hook
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
	p, err := harness.Start(harness.Command{Path: agentBin, Args: args, Env: env, Dir: t.TempDir()})
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
	return hook
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
