package cli

import (
	"errors"
	"fmt"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/spf13/cobra"
)

// decryptOptions are the flags and argument of seal decrypt.
type decryptOptions struct {
	File       string
	Identities []string
	InPlace    bool
}

// identityFlagUsage documents --identity for the commands that decrypt.
const identityFlagUsage = "decrypt with the age identity in `FILE` (repeatable); default: SEAL_AGE_KEY_FILE, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, then sops' keys.txt"

// identitySources is the part of the help of commands that decrypt on
// identities.
const identitySources = `Identities come from --identity FILE (repeatable; used alone when given),
else from the file SEAL_AGE_KEY_FILE names (alone), or else from where the
sops CLI finds them: the file named by SOPS_AGE_KEY_FILE, the keys in
SOPS_AGE_KEY, and sops' keys.txt ($XDG_CONFIG_HOME/sops/age/keys.txt, by
default ~/.config/sops/age/keys.txt). A machine set up for sops needs
nothing more.`

func newDecryptCmd(f *Factory) *cobra.Command {
	opts := &decryptOptions{}
	cmd := &cobra.Command{
		Use:   "decrypt [flags] FILE",
		Short: "Print the plaintext of an encrypted file",
		Long: `Decrypt a file encrypted with seal or sops and print the plaintext on stdout,
in the file's own format; with -i/--in-place, replace the file with its
plaintext instead (atomically, keeping its mode), as "sops decrypt -i"
does. The file's MAC is verified first: a file changed after it was
encrypted is refused, and nothing is printed or written. FILE - reads
stdin.

` + identitySources + `

Prefer stdout; write the plaintext to a file (with -i, or a redirection)
only if you must, encrypt it again with "seal encrypt -i", and never commit
it. To change a value, use "seal edit", which never writes
plaintext outside a private temporary directory.`,
		Example: `  # With the key in sops' default place
  seal decrypt apps/db-secret.yaml

  # With a given identity file
  seal decrypt --identity ~/keys/staging.txt apps/db-secret.yaml

  # Inspect one value
  seal decrypt apps/db-secret.yaml | yq .stringData.password`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.InPlace && len(args) == 2 {
				return nil // the old "-i IDENTITY FILE", see runDecrypt
			}
			return exactArgs(1, "FILE")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				// Before -i meant --in-place, "seal decrypt -i KEY FILE"
				// named an identity: keep that working, with a warning.
				fmt.Fprintf(f.IO.Err, "seal: warning: -i %s: -i now means --in-place, as in sops; use --identity %s (this form will stop working)\n", args[0], args[0])
				opts.Identities = append(opts.Identities, args[0])
				opts.InPlace = false
				args = args[1:]
			}
			opts.File = args[0]
			return runDecrypt(f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.InPlace, "in-place", "i", false, "replace FILE with its plaintext instead of printing it")
	addIdentityFlag(cmd.Flags(), &opts.Identities, identityFlagUsage, nil)
	return cmd
}

// runDecrypt runs seal decrypt.
func runDecrypt(f *Factory, opts *decryptOptions) error {
	if opts.InPlace && opts.File == "-" {
		return usagef("-i/--in-place needs a FILE, not stdin")
	}
	data, name, err := readSealed(f, opts.File)
	if err != nil {
		return err
	}
	if err := checkSealed(name, data); err != nil {
		return err
	}
	ring, err := loadRing(f, opts.Identities)
	if err != nil {
		return err
	}
	d, err := crypto.Decrypt(name, data, ring.AgeIdentities())
	if err != nil {
		return wrongKeyHint(err, ring)
	}
	if opts.InPlace {
		wd, err := factoryWD(f)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(writeTarget(wdPath(wd, opts.File)), d.Plaintext, 0o644); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(f.IO.Err, "%s: decrypted in place; encrypt it again with `seal encrypt -i %s` before you commit\n", name, name)
		return nil
	}
	if _, err := f.IO.Out.Write(d.Plaintext); err != nil {
		return fmt.Errorf("writing to stdout: %w", err)
	}
	return nil
}

// readSealed reads an encrypted file named on the command line (- for
// stdin), returning the name to show for it.
func readSealed(f *Factory, arg string) (data []byte, name string, err error) {
	if arg == "-" {
		data, err = readCapped(stdinName, f.IO.In)
		return data, stdinName, err
	}
	wd, err := factoryWD(f)
	if err != nil {
		return nil, "", err
	}
	data, err = readFileCapped(arg, wdPath(wd, arg))
	return data, arg, err
}

// checkSealed refuses a file without SOPS metadata before any identity is
// looked for, so the message is about the file, not about keys.
func checkSealed(name string, data []byte) error {
	if crypto.IsEncrypted(data) {
		return nil
	}
	if _, err := crypto.Inspect(name, data); errors.Is(err, crypto.ErrNotEncrypted) {
		return err
	}
	return nil // damaged metadata: Decrypt says what is wrong
}

// exactArgs requires n arguments, named what in the message; a mismatch is
// a usage error (exit status 2).
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return withHint(usagef("%s takes %d argument (%s), got %d", cmd.CommandPath(), n, what, len(args)),
				"run `%s --help` for usage", cmd.CommandPath())
		}
		return nil
	}
}

// noArgs refuses arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return withHint(usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0]), "run `%s --help` for usage", cmd.CommandPath())
	}
	return nil
}
