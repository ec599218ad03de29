package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeTarget says which cluster to talk to. Commands that bind
// addKubeFlags get kubectl's connection flags from k8s.io/cli-runtime
// (--kubeconfig, --context, --cluster, --user, --as, --as-group, --server,
// --request-timeout, TLS files); Kubeconfig and Context serve commands that
// still bind only those two flags themselves.
type kubeTarget struct {
	Kubeconfig string // --kubeconfig; "" for $KUBECONFIG, else ~/.kube/config
	Context    string // --context; "" for the current context
	flags      *genericclioptions.ConfigFlags
	names      []string // of the flags addKubeFlags bound
}

// addKubeFlags binds kubectl's connection flags to t. Left out: -n, which
// each command binds with its own meaning and default; flags that take a
// credential as their value (--token, --username, --password), which would
// sit in shell history and in ps (a kubeconfig or its exec plugin supplies
// credentials); and --cache-dir, since seal keeps no discovery cache.
func (t *kubeTarget) addKubeFlags(fs *pflag.FlagSet) {
	t.bindKubeFlags(fs, genericclioptions.NewConfigFlags(false))
}

// addKubeFlagsButCluster is addKubeFlags without kubectl's --cluster
// (the kubeconfig cluster to use), for a command whose own --cluster
// means something else (seal keys rotate --cluster).
func (t *kubeTarget) addKubeFlagsButCluster(fs *pflag.FlagSet) {
	cf := genericclioptions.NewConfigFlags(false)
	cf.ClusterName = nil
	t.bindKubeFlags(fs, cf)
}

func (t *kubeTarget) bindKubeFlags(fs *pflag.FlagSet, cf *genericclioptions.ConfigFlags) {
	cf.Namespace, cf.BearerToken, cf.Username, cf.Password, cf.CacheDir = nil, nil, nil, nil, nil
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	cf.AddFlags(fs)
	fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			t.names = append(t.names, fl.Name)
		}
	})
	t.flags = cf
}

// changedKubeFlag returns the first of the kube flags given on the command
// line, "" when none was: for commands that talk to a cluster only with
// another flag (seal import --from-cluster).
func (t kubeTarget) changedKubeFlag(fs *pflag.FlagSet) string {
	for _, name := range t.names {
		if fs.Changed(name) {
			return name
		}
	}
	return ""
}

// kubeRequestTimeout bounds each call to the apiserver.
const kubeRequestTimeout = 20 * time.Second

// restConfig loads a client configuration with kubectl's loading rules,
// reading KUBECONFIG and HOME through the factory. where describes the
// cluster for messages.
func (t kubeTarget) restConfig(f *Factory, wd string) (cfg *rest.Config, where string, err error) {
	cc, context, looked, err := t.clientConfig(f, wd)
	if err != nil {
		return nil, "", err
	}
	raw, err := cc.RawConfig()
	if err == nil && len(raw.Clusters) == 0 && t.server() == "" {
		err = clientcmd.ErrEmptyConfig
	}
	if err == nil {
		cfg, err = cc.ClientConfig()
	}
	if clientcmd.IsEmptyConfig(err) || errors.Is(err, genericclioptions.ErrEmptyConfig) {
		return nil, "", withHint(fmt.Errorf("no Kubernetes configuration found (looked at %s)", looked),
			"pass --kubeconfig FILE, or set KUBECONFIG")
	}
	if err != nil {
		return nil, "", withHint(fmt.Errorf("loading the Kubernetes configuration from %s: %w", looked, err),
			"check --kubeconfig and --context (kubectl config get-contexts lists them)")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = kubeRequestTimeout
	}
	where = cfg.Host
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	if name != "" {
		where = fmt.Sprintf("%s (context %s)", cfg.Host, name)
	}
	return cfg, where, nil
}

// clientConfig builds the client configuration loader: cli-runtime's from
// the flags when addKubeFlags bound them, with its loading rules pointed
// at the factory's environment rather than the process's. looked says
// where it looks, for messages.
func (t kubeTarget) clientConfig(f *Factory, wd string) (cc clientcmd.ClientConfig, context, looked string, err error) {
	kubeconfig := t.Kubeconfig
	context = t.Context
	rules := &clientcmd.ClientConfigLoadingRules{}
	if t.flags != nil {
		kubeconfig, context = *t.flags.KubeConfig, *t.flags.Context
		cc = t.flags.ToRawKubeConfigLoader()
		// The loader is deferred: its rules may still be changed here.
		r, ok := cc.ConfigAccess().(*clientcmd.ClientConfigLoadingRules)
		if !ok {
			return nil, "", "", fmt.Errorf("unexpected kubeconfig loader %T", cc.ConfigAccess())
		}
		*r = clientcmd.ClientConfigLoadingRules{}
		rules = r
	} else {
		cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	}
	looked = "~/.kube/config ($HOME is not set)"
	switch {
	case kubeconfig != "":
		rules.ExplicitPath = wdPath(wd, kubeconfig)
		looked = rules.ExplicitPath
	case f.Getenv(clientcmd.RecommendedConfigPathEnvVar) != "":
		rules.Precedence = filepath.SplitList(f.Getenv(clientcmd.RecommendedConfigPathEnvVar))
		looked = "$KUBECONFIG (" + f.Getenv(clientcmd.RecommendedConfigPathEnvVar) + ")"
	case f.Getenv("HOME") != "":
		rules.Precedence = []string{filepath.Join(f.Getenv("HOME"), clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		looked = rules.Precedence[0]
	}
	return cc, context, looked, nil
}

// server is the --server flag's value, "" when not bound or not given.
func (t kubeTarget) server() string {
	if t.flags == nil || t.flags.APIServer == nil {
		return ""
	}
	return *t.flags.APIServer
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
