package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// loadRing loads the identities a command decrypts with: the files given
// with -i/--identity alone when there are any, else every identity found
// where sops finds them (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, sops' keys.txt),
// through the factory's environment. Relative file names resolve against
// the factory's working directory.
func loadRing(f *Factory, identityFlags []string) (*keys.Ring, error) {
	wd, err := factoryWD(f)
	if err != nil {
		return nil, err
	}
	readFile := func(name string) ([]byte, error) { return os.ReadFile(wdPath(wd, name)) }
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
	return withHint(err, "the identities tried are for %s; pass the right identity file with -i FILE (or SOPS_AGE_KEY_FILE). "+
		"Files encrypted only for the cluster's seal-agent can be opened only in the cluster", strings.Join(tried, ", "))
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
