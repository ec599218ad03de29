package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
)

// setOptions are the flags and arguments of seal set and seal unset.
type setOptions struct {
	File, Path string
	ValueFile  string // set: read the value from this file; "" for stdin
	Secret     string // the Secret's name, when the file holds several
	Identities []string
	unset      bool
}

const setPathHelp = `PATH names one value of a Secret: data.KEY or stringData.KEY (KEY is taken
whole, dots included: data.tls.crt), or sops' form ["data"]["tls.crt"]. In a
file holding several Secrets, --secret NAME says which.`

func newSetCmd(f *Factory) *cobra.Command {
	opts := &setOptions{}
	cmd := &cobra.Command{
		Use:   "set [flags] FILE PATH",
		Short: "Set one value of an encrypted Secret, read from stdin or a file",
		Long: `Set one value of a Secret in an encrypted file, without an editor: the
value is read from stdin, or from --value-file FILE, exactly as it is (a
trailing newline is kept: use printf, not echo), never from the command
line, where it would stay in shell history and be visible in ps. A data
value is base64-encoded for you; a stringData value must be UTF-8 text.

Every other value keeps its exact ciphertext, so the Git diff shows only
the value set (and the file's MAC). The file is replaced atomically. Like
seal edit, this needs a key that opens the file.

` + setPathHelp + `

` + identitySources,
		Example: `  # From a file
  seal set apps/db-secret.yaml stringData.password --value-file new-password.txt

  # From a pipe, without a trailing newline
  printf %s "$PASSWORD" | seal set apps/db-secret.yaml stringData.password

  # A binary value, base64-encoded into data
  seal set apps/tls.yaml data.tls.key --value-file tls.key`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 3 {
				// Never echo it: it may be the secret.
				return withHint(usagef("seal set takes no value on the command line, where it would stay in shell history and show in ps"),
					"pipe it in (printf %%s \"$VALUE\" | seal set FILE PATH), or pass --value-file FILE")
			}
			return exactArgs(2, "FILE and PATH")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path = args[0], args[1]
			return runSet(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ValueFile, "value-file", "", "read the value from `FILE` (default: stdin)")
	fl.StringVar(&opts.Secret, "secret", "", "the Secret `NAME`, when the file holds several")
	addIdentityFlag(fl, &opts.Identities, identityFlagUsage, nil)
	return cmd
}

func newUnsetCmd(f *Factory) *cobra.Command {
	opts := &setOptions{unset: true}
	cmd := &cobra.Command{
		Use:   "unset [flags] FILE PATH",
		Short: "Remove one value from an encrypted Secret",
		Long: `Remove one value of a Secret in an encrypted file. Every other value keeps
its exact ciphertext, so the Git diff shows only the value removed (and the
file's MAC). The file is replaced atomically. This needs a key that opens
the file.

` + setPathHelp + `

` + identitySources,
		Example: `  seal unset apps/db-secret.yaml stringData.old-password`,
		Args:    exactArgs(2, "FILE and PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File, opts.Path = args[0], args[1]
			return runSet(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Secret, "secret", "", "the Secret `NAME`, when the file holds several")
	addIdentityFlag(fl, &opts.Identities, identityFlagUsage, nil)
	return cmd
}

// runSet runs seal set and seal unset: decrypt in memory, change one value
// of the plaintext, and re-encrypt with crypto.Reencrypt, which keeps the
// ciphertext of every value that did not change.
func runSet(ctx context.Context, f *Factory, opts *setOptions) error {
	if opts.File == "-" {
		return usagef("-: stdin cannot be changed in place; name the file")
	}
	path, err := parseValuePath(opts.Path)
	if err != nil {
		return err
	}
	var value []byte
	if !opts.unset {
		if value, err = readValue(f, opts.ValueFile); err != nil {
			return err
		}
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	name, file := opts.File, wdPath(wd, opts.File)
	original, err := readFileCapped(name, file)
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
	if err := ctx.Err(); err != nil {
		return err
	}
	edited, changed, err := editValue(name, d.Plaintext, opts.Secret, path, value, opts.unset)
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(f.IO.Err, "%s: %s unchanged, left as is\n", name, path)
		return nil
	}
	out, err := crypto.Reencrypt(name, original, edited, ids)
	if err != nil {
		return fmt.Errorf("%w; the file was left unchanged", err)
	}
	if err := atomicfile.WriteFile(writeTarget(file), out, 0o644); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	verb := "set"
	if opts.unset {
		verb = "removed"
	}
	fmt.Fprintf(f.IO.Err, "%s: %s %s; other values kept their ciphertext\n", name, path, verb)
	return nil
}

// maxValueSize bounds a value read by seal set (a Secret holds at most
// 1 MiB in all).
const maxValueSize = 1 << 20

// readValue reads the value for seal set from file, or stdin when file is
// "".
func readValue(f *Factory, file string) ([]byte, error) {
	what, r := "stdin", f.IO.In
	if file != "" {
		wd, err := factoryWD(f)
		if err != nil {
			return nil, err
		}
		fh, err := os.Open(wdPath(wd, file))
		if err != nil {
			return nil, fmt.Errorf("--value-file: %w", err)
		}
		defer fh.Close()
		what, r = file, fh
	}
	data, err := io.ReadAll(io.LimitReader(r, maxValueSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if len(data) > maxValueSize {
		return nil, fmt.Errorf("the value in %s is larger than a Secret may be (1 MiB)", what)
	}
	if file == "" && len(data) == 0 {
		return nil, withHint(usagef("no value on stdin"),
			"pipe the value in (printf %%s \"$VALUE\" | seal set FILE PATH), or pass --value-file FILE")
	}
	return bytes.Clone(data), nil
}
