package controller

import (
	"sync"

	"github.com/seal-gitops/seal/agent/decryptcache"
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
//
// With a cache, a file this GitSync opened before with the same bytes (or
// the same content id: render.ContentDecryptor) and key ring is taken from
// it instead of being decrypted again; its values are remembered for
// redaction all the same.
type decryptor struct {
	ring  *keys.Ring
	cache *decryptcache.Cache
	scope decryptcache.Scope

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
	key := d.key(name, whole, "", data)
	if out, ok := d.cache.Get(key); ok {
		d.remember(out.Values)
		return out, nil
	}
	return d.decrypt(key, name, data, whole)
}

// Opened implements render.ContentDecryptor.
func (d *decryptor) Opened(name, id string, whole bool) (*render.Decrypted, bool) {
	out, ok := d.cache.Get(d.key(name, whole, id, nil))
	if ok {
		d.remember(out.Values)
	}
	return out, ok
}

// DecryptContent implements render.ContentDecryptor.
func (d *decryptor) DecryptContent(name, id string, data []byte, whole bool) (*render.Decrypted, error) {
	return d.decrypt(d.key(name, whole, id, data), name, data, whole)
}

func (d *decryptor) key(name string, whole bool, id string, data []byte) decryptcache.Key {
	parts := decryptcache.KeyParts{Scope: d.scope, Name: name, Whole: whole, ContentID: id, Recipients: d.ring.Recipients()}
	if id == "" {
		parts.Data = data
	}
	return parts.Key()
}

// decrypt opens the file and keeps it in the cache under key.
func (d *decryptor) decrypt(key decryptcache.Key, name string, data []byte, whole bool) (*render.Decrypted, error) {
	t, err := crypto.DecryptTokens(name, data, d.ring.AgeIdentities(), whole)
	if err != nil {
		return nil, &decryptError{err: err}
	}
	d.remember(t.Values)
	out := &render.Decrypted{Text: t.Text, KeyID: d.ring.Identities()[t.Identity].Fingerprint(), Values: t.Values, Size: int64(len(data))}
	d.cache.Add(d.scope, key, out)
	return out, nil
}

// remember keeps values for the redactor.
func (d *decryptor) remember(values []crypto.SealedValue) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, v := range values {
		d.values = append(d.values, v.Value)
	}
}

// redactor masks every value decrypted so far.
func (d *decryptor) redactor() *redact.Redactor {
	d.mu.Lock()
	defer d.mu.Unlock()
	return redact.New(d.values)
}
