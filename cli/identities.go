package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// EnvKeyFile names seal's own identity file, which is used alone, before
// the places sops looks.
const EnvKeyFile = "SEAL_AGE_KEY_FILE"

// loadRing loads the identities a command decrypts with: the files given
// with --identity alone when there are any, else the file $SEAL_AGE_KEY_FILE
// names alone, else every identity found where sops finds them
// (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, sops' keys.txt), through the factory's
// environment. Relative file names resolve against the factory's working
// directory.
func loadRing(f *Factory, identityFlags []string) (*keys.Ring, error) {
	wd, err := factoryWD(f)
	if err != nil {
		return nil, err
	}
	readFile := func(name string) ([]byte, error) { return os.ReadFile(wdPath(wd, name)) }
	if file := f.Getenv(EnvKeyFile); len(identityFlags) == 0 && file != "" {
		data, err := readFile(file)
		if err != nil {
			return nil, withHint(fmt.Errorf("%s (from %s): reading identity file: %w", file, EnvKeyFile, err),
				"set %s to an age identity file, or unset it to use the places sops looks", EnvKeyFile)
		}
		return keys.ParseIdentities(file, data)
	}
	ring, _, err := keys.LoadIdentities(identityFlags, f.Getenv, readFile)
	if err != nil {
		return nil, err
	}
	return ring, nil
}

// wrongKeyHint adds to a decryption error that no identity opened the
// file which keys were tried and how to get the right one.
func wrongKeyHint(err error, ring *keys.Ring) error {
	if !errors.Is(err, crypto.ErrNoMatchingIdentity) {
		return err
	}
	var tried []string
	for _, r := range ring.Recipients() {
		tried = append(tried, crypto.ShortRecipient(r))
	}
	return withHint(err, "the identities tried are for %s; pass the right identity file with --identity FILE (or SEAL_AGE_KEY_FILE). "+
		"Files encrypted only for the cluster's seal-agent can be opened only in the cluster", strings.Join(tried, ", "))
}

// addIdentityFlag binds --identity FILE (repeatable) to ids. With
// oldShort, the -i shorthand it used to have binds to oldShort, which
// takeOldIdentities merges with a deprecation warning (on stderr, where
// pflag's own deprecation notice would not go); encrypt and decrypt take
// -i for --in-place instead, as sops does.
func addIdentityFlag(fs *pflag.FlagSet, ids *[]string, usage string, oldShort *[]string) {
	fs.StringArrayVar(ids, "identity", nil, usage)
	if oldShort != nil {
		fs.StringArrayVarP(oldShort, "identity-shorthand", "i", nil, "deprecated: use --identity")
		_ = fs.MarkHidden("identity-shorthand")
	}
}

// takeOldIdentities appends the files given with the deprecated -i to ids,
// warning on stderr.
func takeOldIdentities(f *Factory, ids, old []string) []string {
	if len(old) > 0 {
		fmt.Fprintf(f.IO.Err, "seal: warning: -i FILE is deprecated: use --identity FILE (-i will mean --in-place, as in sops and seal encrypt and decrypt)\n")
	}
	return append(ids, old...)
}

// factoryWD returns the factory's working directory, absolute.
func factoryWD(f *Factory) (string, error) {
	wd, err := f.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	return filepath.Abs(wd)
}

// wdPath resolves a command-line path against the working directory.
func wdPath(wd, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(wd, p)
}
