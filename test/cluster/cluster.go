package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/test/testbin"
)

// Options configure Start.
type Options struct {
	// CRDDirs are directories of CRD manifests installed before Start
	// returns.
	CRDDirs []string
	// Scheme is used for Client; client-go's scheme when nil.
	Scheme *runtime.Scheme
}

// Cluster is a running control plane. Its certificates and etcd's data
// live in a directory the Cluster owns, so that kube-apiserver and etcd can
// be stopped and started again (restart.go) with the same serving
// certificate, addresses and data.
type Cluster struct {
	// Config reaches the apiserver as a cluster admin.
	Config *rest.Config
	// Client is a controller-runtime client for Config.
	Client client.Client
	// Kubeconfig is the path of a kubeconfig file for Config, for programs
	// the tests run as separate processes.
	Kubeconfig string

	env     *envtest.Environment
	dir     string
	kubectl string
	counter atomic.Int64
	// down records which of the two processes restart.go stopped.
	down downState
}

// Start builds (first time only) and starts kube-apiserver and etcd.
func Start(opts Options) (*Cluster, error) {
	assets, err := testbin.ControlPlaneDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "seal-cluster-")
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	// envtest logs through controller-runtime's logger, which complains
	// with a stack trace when nothing was set; the tests need none of it.
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     opts.CRDDirs,
		ErrorIfCRDPathMissing: true,
		// envtest waits 20 s for kube-apiserver by default; on a loaded
		// 2-core CI machine a cold start can take longer than that.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	if err := ownDirs(env, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		// A start that timed out can leave kube-apiserver or etcd running.
		env.Stop()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cluster: starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	c := &Cluster{Config: cfg, env: env, dir: dir, kubectl: filepath.Join(assets, "kubectl")}
	if err := c.init(opts); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// ownDirs gives kube-apiserver and etcd directories under dir for their
// certificates and data. envtest removes the temporary directories it
// creates itself when a process stops; these it leaves alone, so a stopped
// process starts again with the same certificates and data.
func ownDirs(env *envtest.Environment, dir string) error {
	certs, data := filepath.Join(dir, "apiserver"), filepath.Join(dir, "etcd")
	for _, d := range []string{certs, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	api := &envtest.APIServer{CertDir: certs}
	// While it drains in-flight requests on shutdown, kube-apiserver
	// answers new ones with 429 and Retry-After, so clients are told to
	// retry instead of waiting on a server that is going away.
	api.Configure().Set("shutdown-send-retry-after", "true")
	env.ControlPlane.APIServer = api
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: data}
	return nil
}

func (c *Cluster) init(opts Options) error {
	scheme := opts.Scheme
	if scheme == nil {
		scheme = clientgoscheme.Scheme
	}
	var err error
	c.Client, err = client.New(c.Config, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	user, err := c.env.AddUser(envtest.User{Name: "seal-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("cluster: adding an admin user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	c.Kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

// Stop stops the control plane and removes its files, certificates and
// etcd's data included.
func (c *Cluster) Stop() error {
	err := c.env.Stop()
	if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("cluster: %w", rmErr)
	}
	return err
}

// Namespace creates a namespace with a fresh name starting with prefix.
func (c *Cluster) Namespace(ctx context.Context, prefix string) (string, error) {
	name := fmt.Sprintf("%s-%d", prefix, c.counter.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Client.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("cluster: creating namespace %s: %w", name, err)
	}
	return name, nil
}

// Kubectl runs the kubectl built with the apiserver against this cluster
// and returns its combined output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.kubectl, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
