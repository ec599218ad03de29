package agent

import (
	"context"
	"fmt"
	"io"
	"strings"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/controller"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/agent/notify"
	"github.com/seal-gitops/seal/agent/receiver"
	"github.com/seal-gitops/seal/agent/source"
)

// Run starts the agent and blocks until ctx is cancelled (SIGTERM), then
// lets running syncs finish for up to opts.ShutdownGrace.
func Run(ctx context.Context, opts Options, logOut io.Writer) error {
	logger := zap.New(zap.WriteTo(logOut), zap.UseDevMode(false), func(o *zap.Options) {
		o.TimeEncoder = zapcore.ISO8601TimeEncoder // millisecond precision
		if opts.LogFormat == "text" {
			o.Encoder = zapcore.NewConsoleEncoder(zapcore.EncoderConfig{
				TimeKey: "ts", LevelKey: "level", NameKey: "logger", MessageKey: "msg",
				EncodeTime: zapcore.ISO8601TimeEncoder, EncodeLevel: zapcore.CapitalLevelEncoder,
				ConsoleSeparator: " ",
			})
		}
		if opts.LogLevel == "debug" {
			o.Level = zapcore.DebugLevel
		}
	})
	ctrl.SetLogger(logger)
	ctx = ctrl.LoggerInto(ctx, logger)

	cfg, err := restConfig(opts.Kubeconfig, opts.KubeQPS, opts.KubeBurst)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}

	mgrOpts := manager.Options{
		Scheme:                        scheme,
		Logger:                        logger,
		Metrics:                       metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:        opts.ProbeAddr,
		PprofBindAddress:              opts.PprofAddr,
		LeaderElection:                opts.LeaderElect,
		LeaderElectionNamespace:       opts.AgentNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &opts.ShutdownGrace,
		// Only GitSyncs and Receivers are cached and watched. Secrets are
		// read when a sync or a webhook needs them, so the agent holds no
		// copy of every Secret.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}, &corev1.ConfigMap{}}}},
	}
	if opts.WatchNamespace != "" {
		namespaces := map[string]cache.Config{}
		for ns := range strings.SplitSeq(opts.WatchNamespace, ",") {
			if ns = strings.TrimSpace(ns); ns != "" {
				namespaces[ns] = cache.Config{}
			}
		}
		mgrOpts.Cache = cache.Options{DefaultNamespaces: namespaces}
	}
	if err := configureShard(&mgrOpts, opts); err != nil {
		return err
	}
	networks, err := notify.ParseNetworks(opts.AllowedNetworks)
	if err != nil {
		return fmt.Errorf("--allowed-networks: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return fmt.Errorf("starting the controller manager: %w", err)
	}

	keyClient, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	store := &keyring.Store{Client: keyClient, Namespace: opts.AgentNamespace, SecretName: opts.KeySecret, GenerateKey: opts.GenerateKey}
	ring, err := store.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrapping the agent key: %w", err)
	}
	logger.Info("agent key ready", "secret", opts.AgentNamespace+"/"+opts.KeySecret,
		"recipients", ring.Len(), "configMap", opts.AgentNamespace+"/"+keyring.PublicKeyConfigMap)
	if store.Observer, err = newKeyObserver(mgr.GetEventRecorder("seal-agent"), logger.WithName("keyring"), metrics.Registry); err != nil {
		return err
	}
	if err := addKeyWatch(mgr, store); err != nil {
		return err
	}

	m, err := controller.NewMetrics(metrics.Registry)
	if err != nil {
		return err
	}
	err = controller.Setup(mgr, controller.Config{
		RESTConfig:            cfg,
		Scheme:                scheme,
		Mapper:                mgr.GetRESTMapper(),
		Fetcher:               source.NewFetcher(opts.DataDir, source.Options{MaxFetchSize: opts.MaxFetchSize, MaxObjectSize: opts.MaxObjectSize}),
		Keys:                  store,
		Metrics:               m,
		AgentNamespace:        opts.AgentNamespace,
		DefaultServiceAccount: opts.DefaultSA,
		CommitStatusHosts:     opts.CommitStatusHosts,
		ClusterName:           opts.ClusterName,
		AllowedNetworks:       networks,
		ApplyWorkers:          opts.ApplyWorkers,
		MaxFileSize:           opts.MaxFileSize,
		MaxRenderSize:         opts.MaxRenderSize,
		Concurrency:           opts.Concurrency,
	})
	if err != nil {
		return fmt.Errorf("setting up the GitSync controller: %w", err)
	}
	if opts.WebhookAddr != "0" {
		if err := receiver.Setup(ctx, mgr, receiver.DefaultOptions(opts.WebhookAddr, opts.WebhookCertDir)); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	logger.Info("starting", "watchNamespace", opts.WatchNamespace, "shard", opts.Shard, "leaderElection", opts.LeaderElect, "lease", mgrOpts.LeaderElectionID)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the controller manager: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// restConfig loads --kubeconfig, else the in-cluster config, $KUBECONFIG or
// ~/.kube/config.
func restConfig(kubeconfig string, qps float32, burst int) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the cluster configuration: %w (pass --kubeconfig, or run in a cluster)", err)
	}
	cfg.UserAgent = "seal-agent"
	cfg.QPS, cfg.Burst = qps, burst
	return cfg, nil
}
