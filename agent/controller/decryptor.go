package controller

import (
	"errors"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// decryptor opens SOPS files for the renderer with one key ring. The key id
// it reports is the opening identity's recipient fingerprint, so the
// renderer's per-key counts are what the status shows.
type decryptor struct{ ring *keys.Ring }

// decryptError marks a failure to decrypt, as opposed to a failure to
// parse, so the reconciler reports DecryptionFailed.
type decryptError struct{ err error }

func (e *decryptError) Error() string { return e.err.Error() }
func (e *decryptError) Unwrap() error { return e.err }

// Decrypt implements render.Decryptor. crypto verifies the MAC before it
// returns anything and never puts a value in an error.
func (d decryptor) Decrypt(name string, data []byte) ([]byte, string, error) {
	out, err := crypto.Decrypt(name, data, d.ring.AgeIdentities())
	if err != nil {
		return nil, "", &decryptError{err}
	}
	return out.Plaintext, d.ring.Identities()[out.Identity].Fingerprint(), nil
}

// isDecryptError reports whether err came from decrypting a file.
func isDecryptError(err error) bool {
	var d *decryptError
	return errors.As(err, &d)
}
