package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
)

// defaultAgentNamespace is where the install manifests put seal-agent.
const defaultAgentNamespace = "seal-system"

// keysFetchOptions are the flags of seal keys fetch.
type keysFetchOptions struct {
	kubeTarget
	Namespace    string
	UpdateConfig string // a path_regex; "" to leave .sops.yaml alone
	Replace      bool
}

func newKeysFetchCmd(f *Factory) *cobra.Command {
	opts := &keysFetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Print the recipient the in-cluster seal-agent publishes",
		Long: `Print the age recipient of the seal-agent running in a cluster: the
"recipient" key of the ConfigMap seal-agent-public-key, which the agent
writes in its namespace on first start. Only the public key leaves the
cluster.

The cluster is found as kubectl finds it: --kubeconfig, else $KUBECONFIG,
else ~/.kube/config, with --context choosing a context.

With --update-config PATH_REGEX, the creation rule with exactly that
path_regex in .sops.yaml (the nearest one from the working directory, as sops
finds it, or a new one in the working directory) is made to encrypt for the
agent's key: the rule is added when missing, and the key is added to an
existing rule's recipients, which are kept (a teammate's key stays able to
decrypt); --replace makes the agent's key the rule's only recipient. Run
` + "`seal keys rotate`" + ` afterwards so that existing files open with it.`,
		Example: `  # Print the recipient of the current context's agent
  seal keys fetch

  # Encrypt everything under clusters/prod/ for the prod cluster's agent
  seal keys fetch --context prod --update-config '^clusters/prod/'
  seal keys rotate clusters/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysFetch(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Namespace, "namespace", "n", defaultAgentNamespace, "`NAMESPACE` seal-agent runs in")
	opts.addKubeFlags(fl)
	fl.StringVar(&opts.UpdateConfig, "update-config", "", "add the key to the .sops.yaml creation rule with this `PATH_REGEX` (created when missing)")
	fl.BoolVar(&opts.Replace, "replace", false, "with --update-config: make the agent's key the rule's only recipient")
	return cmd
}

// runKeysFetch runs seal keys fetch: the recipient goes to stdout alone,
// so $(seal keys fetch) works; what it did to .sops.yaml goes to stderr.
func runKeysFetch(ctx context.Context, f *Factory, opts *keysFetchOptions) error {
	if opts.Replace && opts.UpdateConfig == "" {
		return usagef("--replace only applies with --update-config PATH_REGEX")
	}
	if opts.Namespace == "" {
		return usagef("--namespace must not be empty")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return err
	}
	cm, err := getConfigMap(ctx, cfg, where, opts.Namespace, keyring.PublicKeyConfigMap)
	if err != nil {
		return err
	}
	obj := fmt.Sprintf("ConfigMap %s/%s", opts.Namespace, keyring.PublicKeyConfigMap)
	raw := strings.TrimSpace(cm.Data[keyring.RecipientKey])
	if raw == "" {
		return withHint(fmt.Errorf("%s has no %q key", obj, keyring.RecipientKey),
			"seal-agent writes it when it starts; restart it, or check that it is up to date")
	}
	parsed, _, err := keys.ParseRecipient(raw)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", obj, keyring.RecipientKey, err)
	}
	recipient := fmt.Sprint(parsed)
	if _, err := fmt.Fprintln(f.IO.Out, recipient); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if opts.UpdateConfig == "" {
		return nil
	}
	return updateConfigRule(f, wd, opts.UpdateConfig, recipient, opts.Replace)
}

// updateConfigRule makes the rule for pathRegex encrypt for recipient.
func updateConfigRule(f *Factory, wd, pathRegex, recipient string, replace bool) error {
	path, err := keys.FindConfig(wd)
	if errors.Is(err, keys.ErrNoConfig) {
		path, err = filepath.Join(wd, keys.ConfigName), nil
	}
	if err != nil {
		return err
	}
	name := relToWD(wd, path)
	var kept []string
	if !replace {
		if kept, err = ruleRecipients(path, pathRegex); err != nil {
			return err
		}
	}
	want := kept
	if !slices.ContainsFunc(kept, func(r string) bool { return strings.EqualFold(r, recipient) }) {
		want = append(want, recipient)
	}
	if err := keys.UpsertRule(path, pathRegex, want); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Err, "%s: the rule for path_regex %q encrypts for %s\n", name, pathRegex, shortRecipients(want))
	fmt.Fprintln(f.IO.Err, "run `seal keys rotate` so that files already encrypted open with it too")
	return nil
}

// ruleRecipients returns the recipients of the rule with exactly pathRegex
// in the .sops.yaml at path, nil when the file or the rule does not exist.
func ruleRecipients(path, pathRegex string) ([]string, error) {
	cfg, err := keys.LoadConfig(path)
	if errors.Is(err, keys.ErrNoConfig) {
		return nil, nil
	}
	if err != nil {
		return nil, withHint(err, "fix it before seal edits it")
	}
	for _, r := range cfg.Rules() {
		if r.PathRegex == pathRegex {
			return r.Recipients, nil
		}
	}
	return nil, nil
}
