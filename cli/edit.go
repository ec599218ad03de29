package cli

import (
	"bytes"
	"context"
	"fmt"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/spf13/cobra"
)

// editOptions are the flags and argument of seal edit.
type editOptions struct {
	File          string
	Identities    []string
	oldIdentities []string // the deprecated -i
}

func newEditCmd(f *Factory) *cobra.Command {
	opts := &editOptions{}
	cmd := &cobra.Command{
		Use:   "edit [flags] FILE",
		Short: "Change an encrypted file in your editor; only what you change is re-encrypted",
		Long: `Decrypt a file in memory, open the plaintext in an editor, and encrypt the
result back into the file, for the same recipients and with the same data key.

Values you do not change keep their exact ciphertext, so the Git diff shows
only the values that changed. When nothing changed, the file is left as it
is. The file is replaced atomically, and only after the edited text parses
and holds only Secrets; otherwise the file stays as it was, the message says
what is wrong (by line, never quoting a value), and your edits are discarded
so that no plaintext stays on disk: run seal edit again.

The editor is $VISUAL, else $EDITOR, else vi; it may hold arguments, such
as "code --wait" (a GUI editor must wait until the file is closed). It edits
a copy in a new private directory (mode 0700, the file 0600) that is removed
when the editor exits, when seal fails, and when seal is interrupted.

` + identitySources,
		Example: `  # Change a value with the key in sops' default place
  seal edit apps/db-secret.yaml

  # With VS Code and a given identity
  EDITOR="code --wait" seal edit --identity ~/keys/staging.txt apps/db-secret.yaml`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Identities = takeOldIdentities(f, opts.Identities, opts.oldIdentities)
			return runEdit(cmd.Context(), f, opts)
		},
	}
	addIdentityFlag(cmd.Flags(), &opts.Identities, identityFlagUsage, &opts.oldIdentities)
	return cmd
}

// runEdit runs seal edit.
func runEdit(ctx context.Context, f *Factory, opts *editOptions) error {
	if opts.File == "-" {
		return usagef("-: stdin cannot be edited; name the file")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	name, path := opts.File, wdPath(wd, opts.File)
	original, err := readFileCapped(name, path)
	if err != nil {
		return err
	}
	if err := checkSealed(name, original); err != nil {
		return err
	}
	ring, err := loadRing(f, opts.Identities)
	if err != nil {
		return err
	}
	ids := ring.AgeIdentities()
	d, err := crypto.Decrypt(name, original, ids)
	if err != nil {
		return wrongKeyHint(err, ring)
	}
	edited, err := editInTemp(ctx, f, name, d.Plaintext)
	if err != nil {
		return err
	}
	// Saving unbound Secrets (from the sops CLI) unchanged seals their
	// identities, so Reencrypt decides.
	if bytes.Equal(edited, d.Plaintext) && len(d.Unbound) == 0 {
		fmt.Fprintf(f.IO.Err, "%s: no changes, left as is\n", name)
		return nil
	}
	out, err := crypto.Reencrypt(name, original, edited, ids)
	if err != nil {
		return withHint(fmt.Errorf("%w; the file was left unchanged", err),
			"your edits were discarded, so that no plaintext stays on disk; run `seal edit %s` again", name)
	}
	if bytes.Equal(out, original) {
		fmt.Fprintf(f.IO.Err, "%s: no changes, left as is\n", name)
		return nil
	}
	now, err := readFileCapped(name, path)
	if err != nil {
		return err
	}
	if !bytes.Equal(now, original) {
		return withHint(fmt.Errorf("%s: changed on disk while it was being edited; your edits were not saved", name),
			"run `seal edit %s` again to edit the new version", name)
	}
	if err := atomicfile.WriteFile(writeTarget(path), out, 0o644); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(f.IO.Err, "%s: saved; values you did not change kept their ciphertext\n", name)
	return nil
}
