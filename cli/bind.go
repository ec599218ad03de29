package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
)

// bindOptions are the flags and arguments of seal bind.
type bindOptions struct {
	File, Target string
	Release      bool // bind to a Helm release rather than a Secret
	Identities   []string
}

func newBindCmd(f *Factory) *cobra.Command {
	opts := &bindOptions{}
	cmd := &cobra.Command{
		Use:   "bind [flags] FILE NAMESPACE/NAME",
		Short: "Seal an encrypted generator input or Helm values file for the Secret or release it feeds",
		Long: `Bind a whole-file input that was encrypted without a binding (by the sops
CLI, say) to the Secret its kustomize secretGenerator makes, or with
--release to the Helm release that reads it as values. Until it is bound,
the agent refuses its values (unless the GitSync sets
spec.decryption.allowUnbound); seal check reports such files with this
command.

The file is decrypted in memory with your key and encrypted again, for the
same recipients, with the binding sealed under its MAC; it is replaced
atomically and no plaintext touches the disk. A Secret manifest is sealed
by seal edit instead (save it, unchanged is fine), and a file that is
already bound is left alone: to bind it elsewhere, encrypt its plaintext
again with seal encrypt --bind-secret.

` + identitySources,
		Example: `  # The dotenv file a secretGenerator named "app" reads in namespace "shop"
  seal bind apps/app.env shop/app

  # A values file of the Helm release "web" in namespace "shop"
  seal bind --release apps/web-values.yaml shop/web`,
		Args: exactArgs(2, "FILE and NAMESPACE/NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Target = args[0], args[1]
			return runBind(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Release, "release", false, "bind to the Helm release NAMESPACE/NAME rather than a Secret")
	addIdentityFlag(fl, &opts.Identities, identityFlagUsage, nil)
	return cmd
}

// runBind decrypts an unbound input in memory and encrypts it again with
// crypto.EncryptInput for the recipients it had.
func runBind(ctx context.Context, f *Factory, opts *bindOptions) error {
	ns, name, ok := strings.Cut(opts.Target, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return usagef("%q: want NAMESPACE/NAME, the namespace and name of the %s the file feeds", opts.Target, bindKind(opts))
	}
	if opts.File == "-" {
		return usagef("-: stdin cannot be changed in place; name the file")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	file, path := opts.File, wdPath(wd, opts.File)
	original, err := readFileCapped(file, path)
	if err != nil {
		return err
	}
	if err := checkSealed(file, original); err != nil {
		return err
	}
	md, err := crypto.Inspect(file, original)
	if err != nil {
		return err
	}
	switch {
	case len(md.OtherKeys) > 0:
		return fmt.Errorf("%s: its data key is also wrapped for %s keys, which seal cannot write; bind it with sops-compatible tooling, or encrypt it again with seal encrypt --bind-secret", file, strings.Join(md.OtherKeys, ", "))
	case md.KeyGroups > 1:
		return fmt.Errorf("%s: its data key is split over %d key groups, which seal bind does not keep; encrypt it again with seal encrypt --bind-secret", file, md.KeyGroups)
	case !md.UnboundInput && len(md.Unbound) > 0:
		return withHint(fmt.Errorf("%s: holds Kubernetes manifests, which are sealed for themselves", file),
			"run `seal edit %s` and save it (unchanged is fine): that seals each Secret for its kind, namespace and name", file)
	case !md.UnboundInput:
		return fmt.Errorf("%s: already bound, left as is; to bind it to another %s, encrypt its plaintext again with seal encrypt --bind-secret", file, bindKind(opts))
	}
	ring, err := loadRing(f, opts.Identities)
	if err != nil {
		return err
	}
	d, err := crypto.Decrypt(file, original, ring.AgeIdentities())
	if err != nil {
		return wrongKeyHint(err, ring)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	in := crypto.InputOptions{Recipients: md.Recipients, Namespace: ns, Name: name}
	if opts.Release {
		in.Kind = crypto.ReleaseKind
	}
	out, err := crypto.EncryptInput(file, d.Plaintext, in)
	if err != nil {
		return fmt.Errorf("%w; the file was left unchanged", err)
	}
	if err := atomicfile.WriteFile(writeTarget(path), out, 0o644); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(f.IO.Err, "%s: bound to %s %s/%s, for the same %s\n", file, bindKind(opts), ns, name, countNoun(len(md.Recipients), "recipient"))
	return nil
}

func bindKind(opts *bindOptions) string {
	if opts.Release {
		return "Helm release"
	}
	return "Secret"
}
