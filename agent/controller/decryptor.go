package controller

import (
	"errors"
	"slices"
	"sync"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// decryptor opens SOPS files for the renderer with one key ring. The key id
// it reports is the opening identity's recipient fingerprint, so the
// renderer's per-key counts are what the status shows. It remembers the
// files holding Secrets without a sealed identity (written by the sops CLI),
// which the sync reports so that someone re-encrypts them with seal.
type decryptor struct {
	ring *keys.Ring

	mu      sync.Mutex
	unbound []string
}

// decryptError marks a failure to decrypt, as opposed to a failure to
// parse, so the reconciler reports DecryptionFailed.
type decryptError struct{ err error }

func (e *decryptError) Error() string { return e.err.Error() }
func (e *decryptError) Unwrap() error { return e.err }

// Decrypt implements render.Decryptor. crypto verifies the MAC before it
// returns anything and never puts a value in an error.
func (d *decryptor) Decrypt(name string, data []byte) ([]byte, string, error) {
	out, err := crypto.Decrypt(name, data, d.ring.AgeIdentities())
	if err != nil {
		return nil, "", &decryptError{err}
	}
	if len(out.Unbound) > 0 {
		d.mu.Lock()
		d.unbound = append(d.unbound, name)
		d.mu.Unlock()
	}
	return out.Plaintext, d.ring.Identities()[out.Identity].Fingerprint(), nil
}

// unboundFiles returns the files with unbound Secrets, sorted, each once.
func (d *decryptor) unboundFiles() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := append([]string(nil), d.unbound...)
	slices.Sort(out)
	return slices.Compact(out)
}

// isDecryptError reports whether err came from decrypting a file.
func isDecryptError(err error) bool {
	var d *decryptError
	return errors.As(err, &d)
}
