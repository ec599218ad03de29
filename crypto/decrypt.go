package crypto

import (
	"filippo.io/age"
)

// Decrypted is a decrypted file.
type Decrypted struct {
	// Plaintext is the file as `sops decrypt` would print it: same format,
	// the file's indentation kept.
	Plaintext []byte
	// Identity is the index in ids of the identity that opened the data key
	// (for a key split over Shamir key groups, the lowest index among those
	// that opened a part).
	Identity int
	// Unbound lists the 0-based indexes of the Secret documents that carry
	// no BindingAnnotation (files written by the sops CLI, or by seal
	// before it sealed identities): nothing proves that their namespace
	// and name are the ones they were encrypted with. Documents that carry
	// one have been checked.
	Unbound []int
}

// Decrypt decrypts an encrypted file with the first of ids (tried in order)
// that opens its data key, and verifies the MAC over all values and then
// each document's BindingAnnotation before returning anything: a document
// whose kind, namespace or name differs from its sealed identity, or whose
// annotation is not encrypted, fails with ErrIdentityMismatch. nil
// identities are skipped.
func Decrypt(name string, data []byte, ids []age.Identity) (d *Decrypted, err error) {
	defer recoverInto(name, &err)
	o, err := openEncrypted(name, data, ids, false)
	if err != nil {
		return nil, err
	}
	out, err := o.store.EmitPlainFile(o.tree.Branches)
	if err != nil {
		return nil, fileErr(name, ErrMalformed, "the decrypted file could not be written out (a value type the format cannot hold)")
	}
	return &Decrypted{Plaintext: out, Identity: o.identity, Unbound: o.unbound}, nil
}
