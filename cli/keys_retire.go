package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/keys"
)

// keysRetireOptions are the flags and argument of seal keys retire.
type keysRetireOptions struct {
	kubeTarget
	Key    string // recipient or fingerprint
	Secret string // namespace/name of the key Secret
	Backup string // file to write the removed identity to
	Yes    bool
}

func newKeysRetireCmd(f *Factory) *cobra.Command {
	opts := &keysRetireOptions{}
	cmd := &cobra.Command{
		Use:   "retire KEY",
		Short: "Remove an identity from a key Secret once no GitSync needs it",
		Long: `Remove the identity of KEY (a recipient, or its sha256: fingerprint) from
a key Secret in the cluster: the agent's own (` + defaultAgentNamespace + `/` + keyring.DefaultSecretName + `) by default,
or one a team installed and names in a GitSync's spec.decryption.secretRef
(--secret NAMESPACE/NAME).

It refuses while any GitSync's last applied revision was opened with the
key (status.decryptionKeys, see seal keys usage), naming those GitSyncs, and
while any GitSync has not applied a revision yet, since what it needs is
not known. It refuses to remove the Secret's last identity.

Removing an identity cannot be undone: with --backup FILE the identity is
first written to FILE (mode 0600, a new file); otherwise seal asks for the
key's fingerprint to confirm (--yes confirms without asking). The data key
holding the identity is removed from the Secret; a data key that holds
other identities too is refused.`,
		Example: `  # Retire the agent's old key once every environment re-synced
  seal keys retire sha256:0123456789abcdef --backup old-agent-key.txt

  # A key a team installed for its GitSyncs
  seal keys retire age1… --secret shop/age-keys --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("seal keys retire takes one KEY (a recipient or its sha256: fingerprint), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runKeysRetire(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Secret, "secret", defaultAgentNamespace+"/"+keyring.DefaultSecretName, "the key Secret, as `NAMESPACE/NAME`")
	fl.StringVar(&opts.Backup, "backup", "", "write the removed identity to `FILE` first (mode 0600; must not exist)")
	fl.BoolVar(&opts.Yes, "yes", false, "do not ask for confirmation")
	opts.addKubeFlags(fl)
	return cmd
}

func runKeysRetire(ctx context.Context, f *Factory, opts *keysRetireOptions) error {
	fp, err := retireFingerprint(opts.Key)
	if err != nil {
		return err
	}
	ns, name, ok := strings.Cut(opts.Secret, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return usagef("--secret %q: want NAMESPACE/NAME", opts.Secret)
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return err
	}
	c, err := newKubeClient(cfg, where)
	if err != nil {
		return err
	}
	items, _, err := listGitSyncs(ctx, c, where, statusScope{})
	if err != nil {
		return err
	}
	u := usageOf(where, items)
	if uses := u.uses(fp); len(uses) > 0 {
		names := make([]string, len(uses))
		for i, g := range uses {
			names[i] = fmt.Sprintf("%s (%s at %s)", g.GitSync, countOf(g.Files, "file"), shortRevision(g.Revision))
		}
		return withHint(fmt.Errorf("key %s is still needed: the last applied revision of %s opened files with it; nothing was removed",
			fp, strings.Join(names, ", ")),
			"re-wrap those files without it (seal keys rotate --new-data-key), let the GitSyncs sync, and check with seal keys usage")
	}
	if len(u.NotSynced) > 0 {
		return withHint(fmt.Errorf("key %s: %s never applied a revision, so what they need is not known; nothing was removed",
			fp, strings.Join(u.NotSynced, ", ")),
			"wait until they sync (seal status), or delete the GitSyncs that are not used")
	}
	var secret corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return withHint(fmt.Errorf("key Secret %s/%s not found in the cluster at %s", ns, name, where),
				"pass the Secret holding the key with --secret NAMESPACE/NAME")
		}
		return kubeError(err, where, "reading Secret "+ns+"/"+name)
	}
	dataKey, err := identityDataKey(&secret, fp)
	if err != nil {
		return err
	}
	if err := confirmRetire(f, wd, opts, fp, &secret, dataKey); err != nil {
		return err
	}
	delete(secret.Data, dataKey)
	if err := c.Update(ctx, &secret); err != nil { // resourceVersion guards against a concurrent change
		return kubeError(err, where, "removing "+dataKey+" from Secret "+ns+"/"+name)
	}
	fmt.Fprintf(f.IO.Out, "retired %s: removed data key %s from Secret %s/%s\n", fp, dataKey, ns, name)
	return nil
}

// retireFingerprint turns KEY into a fingerprint.
func retireFingerprint(key string) (string, error) {
	key = strings.TrimSpace(key)
	if fingerprintArgRe(key) {
		return key, nil
	}
	if _, _, err := keys.ParseRecipient(key); err != nil {
		return "", usagef("KEY %v: give a recipient (age1…) or its fingerprint (sha256: and 16 hex digits, as seal keys list and usage print)", err)
	}
	return keys.Fingerprint(key), nil
}

func fingerprintArgRe(s string) bool {
	if !strings.HasPrefix(s, "sha256:") || len(s) != len("sha256:")+16 {
		return false
	}
	return strings.Trim(s[len("sha256:"):], "0123456789abcdef") == ""
}

// identityDataKey finds the data key of secret holding the identity with
// fingerprint fp, alone. Errors name the Secret and data keys, never
// key material.
func identityDataKey(secret *corev1.Secret, fp string) (string, error) {
	names := make([]string, 0, len(secret.Data))
	for n := range secret.Data {
		names = append(names, n)
	}
	slices.Sort(names)
	where := "Secret " + secret.Namespace + "/" + secret.Name
	found, identities := "", 0
	for _, n := range names {
		ring, err := keys.ParseIdentities(where+" key "+n, secret.Data[n])
		if err != nil {
			return "", err
		}
		identities += ring.Len()
		for _, id := range ring.Identities() {
			if id.Fingerprint() != fp {
				continue
			}
			if ring.Len() > 1 {
				return "", withHint(fmt.Errorf("%s: data key %s holds %d identities, %s among them; nothing was removed", where, n, ring.Len(), fp),
					"move the other identities to data keys of their own, then retire again")
			}
			found = n
		}
	}
	switch {
	case found == "":
		return "", withHint(fmt.Errorf("%s holds no identity with fingerprint %s; nothing was removed", where, fp),
			"seal keys usage lists the fingerprints in use; pass the Secret holding the key with --secret")
	case identities == 1:
		return "", withHint(fmt.Errorf("%s: %s is its only identity; nothing was removed", where, fp),
			"add the new identity first (seal keys rotate), then retire the old one")
	}
	return found, nil
}

// confirmRetire writes the backup, or asks for the fingerprint.
func confirmRetire(f *Factory, wd string, opts *keysRetireOptions, fp string, secret *corev1.Secret, dataKey string) error {
	if opts.Backup != "" {
		path := wdPath(wd, opts.Backup)
		if _, err := os.Lstat(path); err == nil {
			return withHint(fmt.Errorf("--backup %s: the file exists; nothing was removed", opts.Backup),
				"name a new file: a backup never overwrites one")
		}
		if err := atomicfile.WriteFile(path, secret.Data[dataKey], 0o600); err != nil {
			return fmt.Errorf("--backup %s: %w; nothing was removed", opts.Backup, err)
		}
		fmt.Fprintf(f.IO.Err, "wrote the identity %s to %s: keep it offline\n", fp, opts.Backup)
		return nil
	}
	fmt.Fprintf(f.IO.Err, "warning: this removes identity %s (data key %s) from Secret %s/%s. Files sealed only for it "+
		"can never be decrypted again without a copy. Back it up first (--backup FILE), and keep the copy offline.\n",
		fp, dataKey, secret.Namespace, secret.Name)
	if opts.Yes {
		return nil
	}
	fmt.Fprintf(f.IO.Err, "Type %s to remove it: ", fp)
	line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
	fmt.Fprintln(f.IO.Err)
	if strings.TrimSpace(line) != fp {
		return withHint(fmt.Errorf("seal keys retire: not confirmed (got %q, want %q); nothing was removed", strings.TrimSpace(line), fp),
			"type the fingerprint when asked, pass --backup FILE, or --yes once the key is backed up")
	}
	return nil
}
