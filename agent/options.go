package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/agent/notify"
	"github.com/seal-gitops/seal/agent/source"
)

// Options are seal-agent's flags.
type Options struct {
	Kubeconfig     string
	WatchNamespace string
	AgentNamespace string
	KeySecret      string
	// GenerateKey allows generating a new key when the key Secret is gone
	// although the public-key ConfigMap shows there was one.
	GenerateKey bool
	DefaultSA   string
	// CommitStatusHosts are API hosts commit statuses may go to besides
	// each repository's own host.
	CommitStatusHosts []string
	// AllowedNetworks are addresses credentials may be sent to even though
	// they are loopback, link-local or metadata addresses.
	AllowedNetworks []string
	// ClusterName names this cluster in commit status contexts.
	ClusterName string
	MetricsAddr string
	ProbeAddr   string
	// PprofAddr serves net/http/pprof (for profiling, as make bench
	// does); "0" (the default) turns it off.
	PprofAddr     string
	LeaderElect   bool
	Concurrency   int
	ApplyWorkers  int
	DataDir       string
	MaxFileSize   int64
	MaxRenderSize int64
	// MaxFetchSize caps each pack a Git fetch downloads and the unpacked
	// size of each object in it; MaxObjectSize caps the latter too.
	MaxFetchSize  int64
	MaxObjectSize int64
	KubeQPS       float32
	KubeBurst     int
	ShutdownGrace time.Duration
	LogFormat     string
	LogLevel      string

	// Shard names the GitSyncs this agent syncs (label seal.dev/shard);
	// "" is the default shard, the GitSyncs without the label.
	Shard  string
	Leader LeaderTimings

	// WebhookAddr serves Receivers' webhooks; "0" turns it off.
	WebhookAddr string
	// WebhookCertDir holds tls.crt and tls.key for the webhook server.
	WebhookCertDir string
}

// defaultOptions are the flag defaults. The agent's namespace comes from
// POD_NAMESPACE, which the Deployment sets from the downward API.
func defaultOptions(getenv func(string) string) Options {
	ns := getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "seal-system"
	}
	return Options{
		AgentNamespace: ns,
		KeySecret:      keyring.DefaultSecretName,
		ClusterName:    "default",
		MetricsAddr:    ":8080",
		ProbeAddr:      ":8081",
		PprofAddr:      "0",
		WebhookAddr:    ":9292",
		Concurrency:    4,
		ApplyWorkers:   16,
		DataDir:        filepath.Join(os.TempDir(), "seal-agent"),
		MaxFileSize:    4 << 20,
		MaxRenderSize:  128 << 20,
		MaxFetchSize:   source.DefaultMaxFetchSize,
		MaxObjectSize:  source.DefaultMaxObjectSize,
		KubeQPS:        1000,
		KubeBurst:      2000,
		ShutdownGrace:  30 * time.Second,
		LogFormat:      "json",
		LogLevel:       "info",
		Leader:         defaultLeaderTimings(),
	}
}

func (o *Options) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig file; default: in-cluster config, then $KUBECONFIG, then ~/.kube/config")
	fs.StringVar(&o.WatchNamespace, "namespace", o.WatchNamespace, "only reconcile GitSyncs in this namespace, or these comma-separated namespaces (default: all namespaces)")
	fs.StringVar(&o.AgentNamespace, "agent-namespace", o.AgentNamespace, "namespace holding the agent's key Secret and public-key ConfigMap (default: $POD_NAMESPACE, else seal-system)")
	fs.StringVar(&o.KeySecret, "key-secret", o.KeySecret, "name of the Secret holding the agent's age identities; generated on first start (when the ConfigMap seal-agent-public-key publishes no recipient yet)")
	fs.BoolVar(&o.GenerateKey, "generate-key", o.GenerateKey, "generate a new key when the key Secret is missing although seal-agent-public-key still publishes recipients (a lost key); without it the agent refuses to start then, since a new key opens none of the files encrypted to the old one")
	fs.StringVar(&o.DefaultSA, "default-service-account", o.DefaultSA, "ServiceAccount (in each GitSync's namespace) to impersonate for GitSyncs that name none; set it for multi-tenant clusters so no GitSync applies with the agent's own rights")
	fs.StringSliceVar(&o.CommitStatusHosts, "commit-status-hosts", o.CommitStatusHosts, "API hosts (comma-separated) commit statuses and their tokens may be sent to besides the GitSync's Git host (and api.github.com for github.com, api.bitbucket.org for bitbucket.org)")
	fs.StringSliceVar(&o.AllowedNetworks, "allowed-networks", o.AllowedNetworks, "CIDR prefixes or addresses (comma-separated) that Git fetches and commit statuses may reach although loopback, link-local or cloud metadata addresses (refused by default; Git may always reach loopback)")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "this cluster's name in commit status contexts (seal/<cluster>/<namespace>/<name>), so several clusters can report on one commit: a DNS label of at most 32 characters")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint; \"0\" turns it off")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of the /healthz and /readyz endpoints; \"0\" turns them off")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "address of the net/http/pprof endpoints, for profiling; \"0\" (the default) turns them off")
	fs.StringVar(&o.WebhookAddr, "webhook-bind-address", o.WebhookAddr, "address of the webhook receiver, where forges send push events for Receivers; \"0\" turns it off")
	fs.StringVar(&o.WebhookCertDir, "webhook-cert-dir", o.WebhookCertDir, "directory holding tls.crt and tls.key: the webhook receiver then speaks HTTPS (default: plain HTTP, for TLS at an Ingress)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "run several replicas with one active (a Lease in the agent namespace)")
	fs.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "GitSyncs reconciled at the same time")
	fs.IntVar(&o.ApplyWorkers, "apply-workers", o.ApplyWorkers, "parallel server-side apply requests per GitSync")
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "where Git repositories are cached between syncs (only encrypted files are stored)")
	fs.Int64Var(&o.MaxFileSize, "max-file-size", o.MaxFileSize, "largest manifest file a sync reads, in bytes")
	fs.Int64Var(&o.MaxRenderSize, "max-render-size", o.MaxRenderSize, "most bytes of manifests a sync reads in all, in bytes")
	fs.Int64Var(&o.MaxFetchSize, "max-fetch-size", o.MaxFetchSize, "most bytes a Git fetch may download (each pack, as read from the server), and the largest object it may unpack, in bytes")
	fs.Int64Var(&o.MaxObjectSize, "max-object-size", o.MaxObjectSize, "largest object (file) a Git fetch may unpack, in bytes: a fetch holds one whole in memory as it unpacks it, so keep the memory limit above --concurrency times twice this")
	fs.Float32Var(&o.KubeQPS, "kube-api-qps", o.KubeQPS, "client-side limit of requests per second to the API server, on average (the API server's priority and fairness applies too; --apply-workers bounds requests in flight)")
	fs.IntVar(&o.KubeBurst, "kube-api-burst", o.KubeBurst, "requests to the API server in a burst")
	fs.DurationVar(&o.ShutdownGrace, "shutdown-grace", o.ShutdownGrace, "how long running syncs may take to finish on SIGTERM")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "json or text")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "info or debug")
	o.bindShard(fs)
}

func (o *Options) validate() error {
	switch {
	case o.Concurrency < 1:
		return fmt.Errorf("--concurrency must be at least 1")
	case o.ApplyWorkers < 1:
		return fmt.Errorf("--apply-workers must be at least 1")
	case o.LogFormat != "json" && o.LogFormat != "text":
		return fmt.Errorf("--log-format must be json or text")
	case o.LogLevel != "info" && o.LogLevel != "debug":
		return fmt.Errorf("--log-level must be info or debug")
	case o.AgentNamespace == "":
		return fmt.Errorf("--agent-namespace must not be empty")
	case o.MaxFileSize <= 0 || o.MaxRenderSize < o.MaxFileSize:
		return fmt.Errorf("--max-file-size must be positive and at most --max-render-size")
	case o.MaxFetchSize <= 0:
		return fmt.Errorf("--max-fetch-size must be positive (bytes; default %d, 256 MiB)", source.DefaultMaxFetchSize)
	case o.MaxObjectSize <= 0:
		return fmt.Errorf("--max-object-size must be positive (bytes; default %d, 32 MiB)", source.DefaultMaxObjectSize)
	}
	if err := notify.ValidateClusterName(o.ClusterName); err != nil {
		return fmt.Errorf("--cluster-name: %w", err)
	}
	return o.validateShard()
}
