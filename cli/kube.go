package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeTarget says which cluster to talk to, as kubectl's flags do.
type kubeTarget struct {
	Kubeconfig string // --kubeconfig; "" for $KUBECONFIG, else ~/.kube/config
	Context    string // --context; "" for the current context
}

// kubeRequestTimeout bounds each call to the apiserver.
const kubeRequestTimeout = 20 * time.Second

// restConfig loads a client configuration with kubectl's loading rules,
// reading KUBECONFIG and HOME through the factory. where describes the
// cluster for messages.
func (t kubeTarget) restConfig(f *Factory, wd string) (cfg *rest.Config, where string, err error) {
	rules := &clientcmd.ClientConfigLoadingRules{}
	looked := "~/.kube/config ($HOME is not set)"
	switch {
	case t.Kubeconfig != "":
		rules.ExplicitPath = wdPath(wd, t.Kubeconfig)
		looked = rules.ExplicitPath
	case f.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		rules.Precedence = filepath.SplitList(f.Getenv(clientcmd.RecommendedConfigPathEnvVar))
		looked = "$KUBECONFIG (" + f.Getenv(clientcmd.RecommendedConfigPathEnvVar) + ")"
	case f.Getenv("HOME") != "":
		rules.Precedence = []string{filepath.Join(f.Getenv("HOME"), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		looked = rules.Precedence[0]
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: t.Context})
	cfg, err = cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, "", withHint(fmt.Errorf("no Kubernetes configuration found (looked at %s)", looked),
			"pass --kubeconfig FILE, or set KUBECONFIG")
	}
	if err != nil {
		return nil, "", withHint(fmt.Errorf("loading the Kubernetes configuration from %s: %w", looked, err),
			"check --kubeconfig and --context (kubectl config get-contexts lists them)")
	}
	cfg.Timeout = kubeRequestTimeout
	where = cfg.Host
	if raw, err := cc.RawConfig(); err == nil {
		name := t.Context
		if name == "" {
			name = raw.CurrentContext
		}
		if name != "" {
			where = fmt.Sprintf("%s (context %s)", cfg.Host, name)
		}
	}
	return cfg, where, nil
}

// getConfigMap reads a ConfigMap, turning API errors into messages that
// say what to do.
func getConfigMap(ctx context.Context, cfg *rest.Config, where, namespace, name string) (*corev1.ConfigMap, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster at %s: %w", where, err)
	}
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return cm, nil
	case apierrors.IsNotFound(err):
		return nil, withHint(fmt.Errorf("ConfigMap %s/%s not found in the cluster at %s: is seal-agent installed? it publishes its key on first start", namespace, name, where),
			"install seal-agent, or pass --namespace where it runs")
	case apierrors.IsForbidden(err):
		return nil, withHint(fmt.Errorf("ConfigMap %s/%s in the cluster at %s: not allowed to read it: %w", namespace, name, where, err),
			"ask for permission to get configmaps in namespace %s, or use another --context", namespace)
	case apierrors.IsUnauthorized(err):
		return nil, withHint(fmt.Errorf("cluster at %s: the credentials were refused: %w", where, err),
			"log in to the cluster again, or use another --context")
	default:
		return nil, withHint(fmt.Errorf("cannot reach the cluster at %s: %w", where, err),
			"check that the cluster is up and that --context and --kubeconfig point at it")
	}
}
