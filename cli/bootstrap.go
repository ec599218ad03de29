package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// bootstrapOptions are the flags of seal bootstrap.
type bootstrapOptions struct {
	kubeTarget
	URL, Branch, Path string
	// Credentials: one of SSHKey (with KnownHosts), TokenEnv (with an
	// optional Username) or Username with PasswordEnv; CAFile with HTTPS.
	SSHKey, KnownHosts    string
	TokenEnv              string
	Username, PasswordEnv string
	CAFile                string
	Name, Namespace       string
	Interval, Timeout     time.Duration
	Image                 string
	SkipSopsConfig        bool
	// DryRun reports what would change without writing anything; Export
	// prints the manifests instead of applying them.
	DryRun, Export bool
	// Tenant installs tenant mode; ServiceAccount is the GitSync's
	// spec.serviceAccountName, required with Tenant.
	Tenant         bool
	ServiceAccount string
	// version is seal's own, for the default --image.
	version string
}

// bootstrapFieldManager owns what seal bootstrap applies.
const bootstrapFieldManager = "seal-bootstrap"

func newBootstrapCmd(f *Factory) *cobra.Command {
	opts := &bootstrapOptions{version: buildVersion()}
	cmd := &cobra.Command{
		Use:   "bootstrap --url URL --path PATH [flags]",
		Short: "Install seal-agent in a cluster and point it at a Git repository",
		Long: `Install seal-agent in the cluster (the current kubeconfig context, or
--context) and make it sync a directory of a Git repository:

 1. apply the install manifests with server-side apply (field manager
    seal-bootstrap): the seal-system namespace, the GitSync CRD (waiting
    until it is established), the agent's account, RBAC and Deployment;
 2. wait (up to --timeout) until the agent runs and has published its
    public key, the ConfigMap seal-system/seal-agent-public-key;
 3. apply the Secret holding the Git credentials, if any, and the GitSync,
    in --namespace;
 4. add the agent's key to .sops.yaml at the root of the Git checkout in
    the working directory, in the creation rule for the files under --path
    (path_regex ^PATH/.*\.ya?ml$), so that seal encrypt and sops encrypt
    them for the cluster (skip with --skip-sops-config).

Running it again changes nothing that is already as it should be, and says
"unchanged" for each such object; it also resumes a bootstrap that stopped.
It needs cluster-admin: it installs a CRD and ClusterRoles, and binds the
agent to cluster-admin so that it can apply whatever the repository holds.
The wait ends at once, with the reason, when the agent's image cannot be
pulled.

--dry-run says what bootstrap would create or change, writing nothing to
the cluster or to .sops.yaml. --export prints the install manifests and
the GitSync as YAML, to commit instead of applying them; it needs no
cluster and never prints the credentials Secret.

--tenant installs tenant mode: the agent holds no apply rights, and each
GitSync names a service account in its own namespace (--service-account)
that the agent impersonates to apply, prune and read its Secrets.

The agent image defaults to the one released with this seal
(` + agentImageRepository + `:VERSION); a seal built from source
without a version needs --image.

Credentials never come from a flag's value, which would sit in the shell's
history and the process list:
  --ssh-key FILE --known-hosts FILE   an SSH deploy key without passphrase,
                                      and the server's host keys (from
                                      ssh-keyscan); host keys are always checked
  --token-env VAR [--username USER]   an access token read from the
                                      environment variable VAR, sent over
                                      HTTPS as the password of user USER
                                      (default git), as GitHub, GitLab, Gitea,
                                      Bitbucket and Azure DevOps accept
  --username USER --password-env VAR  a password read from VAR
  --ca-file FILE                      extra CA certificates for HTTPS
Without any, the repository is fetched anonymously.

The GitSync is named after the branch (lower-cased, with every character
other than a-z, 0-9 and - replaced by -), unless --name is given; the
credentials Secret is NAME-git-credentials. Both go in --namespace,
seal-system by default; the agent itself always runs in seal-system.`,
		Example: `  # Sync clusters/prod of the main branch over SSH
  ssh-keyscan github.com > known_hosts
  seal bootstrap --url ssh://git@github.com/acme/fleet.git --branch main \
    --path clusters/prod --ssh-key deploy-key --known-hosts known_hosts

  # Over HTTPS with a token from the environment
  export GITHUB_TOKEN=...
  seal bootstrap --url https://github.com/acme/fleet.git --path clusters/prod \
    --token-env GITHUB_TOKEN --context prod`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("seal bootstrap takes only flags, got the argument %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBootstrap(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", "", "`URL` of the Git repository: https://, ssh:// or git@host:path (required)")
	fl.StringVar(&opts.Branch, "branch", v1alpha1.DefaultBranch, "`BRANCH` to sync")
	fl.StringVar(&opts.Path, "path", "", "`DIRECTORY` of the repository to sync, relative to its root; . for the root (required)")
	fl.StringVar(&opts.SSHKey, "ssh-key", "", "SSH private key `FILE` (unencrypted) for an ssh:// or git@host:path URL")
	fl.StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts `FILE` with the SSH server's host keys (required with --ssh-key)")
	fl.StringVar(&opts.TokenEnv, "token-env", "", "environment variable `VAR` holding an HTTPS access token")
	fl.StringVar(&opts.Username, "username", "", "HTTPS user `NAME` (with --password-env; with --token-env, default git)")
	fl.StringVar(&opts.PasswordEnv, "password-env", "", "environment variable `VAR` holding the HTTPS password")
	fl.StringVar(&opts.CAFile, "ca-file", "", "PEM `FILE` of CA certificates the HTTPS server's certificate chains to")
	fl.StringVar(&opts.Name, "name", "", "`NAME` of the GitSync (default: derived from --branch)")
	fl.StringVar(&opts.Namespace, "namespace", defaultAgentNamespace, "`NAMESPACE` of the GitSync and its credentials Secret")
	fl.DurationVar(&opts.Interval, "interval", v1alpha1.DefaultInterval, "how often the agent syncs (at least 10s)")
	fl.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "how long to wait for seal-agent to start")
	fl.StringVar(&opts.Image, "image", "", "seal-agent `IMAGE` to install, repository:tag or repository@digest (default: "+agentImageRepository+":VERSION of this seal)")
	fl.BoolVar(&opts.SkipSopsConfig, "skip-sops-config", false, "leave .sops.yaml alone")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "say what would be created or changed, and change nothing")
	fl.BoolVar(&opts.Export, "export", false, "print the manifests as YAML instead of applying them (no cluster needed)")
	fl.BoolVar(&opts.Tenant, "tenant", false, "install tenant mode: the agent applies only as each GitSync's service account")
	fl.StringVar(&opts.ServiceAccount, "service-account", "", "service account `NAME` in --namespace the agent impersonates for this GitSync (required with --tenant)")
	opts.addKubeFlags(fl)
	return cmd
}

// runBootstrap checks everything it can before it touches the cluster,
// then installs, waits, applies the GitSync and updates .sops.yaml,
// reporting each step as it is done.
func runBootstrap(ctx context.Context, f *Factory, opts *bootstrapOptions) error {
	plan, err := planBootstrap(f, opts)
	if err != nil {
		return err
	}
	if opts.Export {
		return exportBootstrap(f, plan)
	}
	cfg, where, err := opts.restConfig(f, plan.wd)
	if err != nil {
		return err
	}
	c, err := newKubeClient(cfg, where)
	if err != nil {
		return err
	}
	if err := preflight(ctx, cfg, where, opts.Tenant); err != nil {
		return err
	}
	out := &stickyWriter{w: f.IO.Out}
	b := &bootstrapper{f: f, c: c, where: where, plan: plan, out: out}
	if opts.DryRun {
		return b.dryRun(ctx)
	}
	if err := b.install(ctx); err != nil {
		return err
	}
	recipient, err := b.waitForAgent(ctx)
	if err != nil {
		return err
	}
	if err := b.applyGitSync(ctx); err != nil {
		return err
	}
	if err := b.updateSopsConfig(recipient); err != nil {
		return err
	}
	b.nextSteps()
	return out.err
}
