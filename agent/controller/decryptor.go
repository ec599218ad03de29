package controller

import (
	"sync"

	"github.com/seal-gitops/seal/agent/redact"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// decryptor opens SOPS files for the renderer with one key ring, into
// tokens (crypto.DecryptTokens). The key id it reports is the opening
// identity's recipient fingerprint, so the renderer's per-key counts are
// what the status shows. It remembers every value it decrypted, so the
// reconcile can redact them from whatever it sends out, even after a
// render that failed halfway.
type decryptor struct {
	ring *keys.Ring

	mu     sync.Mutex
	values [][]byte
}

// decryptError marks a failure to decrypt, or to read the identities
// that decrypt, as opposed to a failure to parse, so the sync reports
// DecryptionFailed.
type decryptError struct {
	err error
	// invalidKeys: the identities themselves do not parse.
	invalidKeys bool
}

func (e *decryptError) Error() string { return e.err.Error() }
func (e *decryptError) Unwrap() error { return e.err }

// Decrypt implements render.Decryptor. crypto verifies the MAC and the
// sealed identities before it returns anything and never puts a value in
// an error.
func (d *decryptor) Decrypt(name string, data []byte, whole bool) (*render.Decrypted, error) {
	t, err := crypto.DecryptTokens(name, data, d.ring.AgeIdentities(), whole)
	if err != nil {
		return nil, &decryptError{err: err}
	}
	d.mu.Lock()
	for _, v := range t.Values {
		d.values = append(d.values, v.Value)
	}
	d.mu.Unlock()
	return &render.Decrypted{Text: t.Text, KeyID: d.ring.Identities()[t.Identity].Fingerprint(), Values: t.Values}, nil
}

// redactor masks every value decrypted so far.
func (d *decryptor) redactor() *redact.Redactor {
	d.mu.Lock()
	defer d.mu.Unlock()
	return redact.New(d.values)
}
