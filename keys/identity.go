package keys

import (
	"fmt"
	"time"

	"filippo.io/age"
)

// Identity is one age private key with its public recipient. Its formatted
// value (%v, %s, %#v…) shows only the public side, so an Identity that ends
// up in a log line or error never reveals the secret.
type Identity struct {
	id        age.Identity
	kind      Kind
	recipient string
	secret    func() string // the AGE-SECRET-KEY-… encoding, only for MarshalText
}

// fromAge wraps one of the identity types age defines natively.
func fromAge(id age.Identity) (*Identity, error) {
	switch v := id.(type) {
	case *age.HybridIdentity:
		return &Identity{id: v, kind: Hybrid, recipient: v.Recipient().String(), secret: v.String}, nil
	case *age.X25519Identity:
		return &Identity{id: v, kind: X25519, recipient: v.Recipient().String(), secret: v.String}, nil
	}
	return nil, fmt.Errorf("%w: unsupported identity type %T", ErrInvalidIdentity, id)
}

// Recipient returns the public recipient: age1pq1… for Hybrid, age1… for
// X25519.
func (id *Identity) Recipient() string { return id.recipient }

// Kind returns the kind of the identity.
func (id *Identity) Kind() Kind { return id.kind }

// AgeIdentity returns the identity for age.Decrypt and the sops libraries.
func (id *Identity) AgeIdentity() age.Identity { return id.id }

// Fingerprint returns Fingerprint(id.Recipient()).
func (id *Identity) Fingerprint() string { return Fingerprint(id.recipient) }

// MarshalText returns the identity in the file format of age-keygen, which
// age, sops (SOPS_AGE_KEY_FILE, keys.txt) and ParseIdentities read:
//
//	# created: <RFC 3339 time>
//	# public key: <recipient>
//	AGE-SECRET-KEY-…
//
// The result holds the private key: write it with mode 0600 and never log it.
func (id *Identity) MarshalText(created time.Time) []byte {
	return fmt.Appendf(nil, "# created: %s\n# public key: %s\n%s\n",
		created.Format(time.RFC3339), id.recipient, id.secret())
}

// Format prints the identity as keys.Identity(<kind> <Short(recipient)>)
// whatever the verb, so the private key can never be formatted by accident.
func (id Identity) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "keys.Identity(%s %s)", id.kind, Short(id.recipient))
}
