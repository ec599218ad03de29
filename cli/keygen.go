package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/keys"
	"github.com/spf13/cobra"
)

// keygenOptions are the flags of seal keygen.
type keygenOptions struct {
	Output string
	X25519 bool
	Force  bool
}

func newKeygenCmd(f *Factory) *cobra.Command {
	opts := &keygenOptions{}
	cmd := &cobra.Command{
		Use:   "keygen [flags]",
		Short: "Generate an age identity (post-quantum by default)",
		Long: `Generate a new age identity (a private key) and print its public recipient.

The identity is written in the format of age-keygen, which age, sops and seal
read. With -o it goes to FILE, created with mode 0600 (and its directory with
mode 0700 if missing), and the recipient alone is printed on stdout; an
existing FILE is never replaced without --force. Without -o the identity
goes to stdout and "Public key: …" to stderr, as age-keygen does.

By default the identity is post-quantum: ML-KEM-768 combined with X25519
(recipients age1pq1…). Encrypted files live in Git history forever, so
ciphertext recorded today could be decrypted by a quantum computer later
("harvest now, decrypt later"); the hybrid key stays safe unless both halves
are broken. Use --x25519 for a classic identity (recipients age1…) only when
a tool that must read the files predates post-quantum age support, such as
sops older than 3.13.

Keep the identity private. Give others its recipient: that is all they need
to encrypt for you.`,
		Example: `  # A key for sops and seal at sops' default location
  seal keygen -o ~/.config/sops/age/keys.txt

  # A classic X25519 key, for tools older than sops 3.13
  seal keygen --x25519 -o key.txt

  # Encrypt for a new key right away
  seal encrypt -i -r "$(seal keygen -o key.txt)" secret.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeygen(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the identity to `FILE` (mode 0600) instead of stdout")
	cmd.Flags().BoolVar(&opts.X25519, "x25519", false, "generate a classic X25519 identity instead of a post-quantum one")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace FILE if it exists (the key in it is lost)")
	return cmd
}

// runKeygen runs seal keygen.
func runKeygen(f *Factory, opts *keygenOptions) error {
	if opts.Force && opts.Output == "" {
		return usagef("--force only applies with -o FILE")
	}
	kind := keys.Hybrid
	if opts.X25519 {
		kind = keys.X25519
	}
	var path string
	if opts.Output != "" {
		wd, err := factoryWD(f)
		if err != nil {
			return err
		}
		path = wdPath(wd, opts.Output)
		if err := keygenTarget(opts.Output, path, opts.Force); err != nil {
			return err
		}
	}
	id, err := keys.Generate(kind)
	if err != nil {
		return err
	}
	text := id.MarshalText(f.Now().UTC())
	if path == "" {
		if _, err := f.IO.Out.Write(text); err != nil {
			return fmt.Errorf("writing the identity: %w", err)
		}
		fmt.Fprintf(f.IO.Err, "Public key: %s\n", id.Recipient())
		return nil
	}
	if opts.Force {
		// atomicfile keeps an existing file's mode: tighten it first, so
		// the new key is never readable by others even for a moment.
		if err := os.Chmod(path, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", opts.Output, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("%s: %w", opts.Output, err)
	}
	if err := atomicfile.WriteFile(path, text, 0o600); err != nil {
		return fmt.Errorf("%s: %w", opts.Output, err)
	}
	fmt.Fprintln(f.IO.Out, id.Recipient())
	return nil
}

// keygenTarget checks that path (shown as name) may receive a new identity.
func keygenTarget(name, path string, force bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case fi.IsDir():
		return withHint(fmt.Errorf("%s: is a directory", name), "name the key file itself, for example -o %s/keys.txt", name)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file; refusing to write a key there", name)
	case !force:
		return withHint(fmt.Errorf("%s: already exists; refusing to overwrite it (it may hold the only copy of a private key)", name),
			"choose another file, or pass --force to replace it (files encrypted only for the old key can then no longer be decrypted)")
	}
	return nil
}
