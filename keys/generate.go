package keys

import (
	"fmt"

	"filippo.io/age"
)

// Generate creates a new random identity of the given kind. Use Hybrid (the
// zero Kind) unless a consumer cannot read post-quantum recipients.
func Generate(kind Kind) (*Identity, error) {
	switch kind {
	case Hybrid:
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, fmt.Errorf("generating a hybrid identity: %w", err)
		}
		return fromAge(id)
	case X25519:
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("generating an X25519 identity: %w", err)
		}
		return fromAge(id)
	}
	return nil, fmt.Errorf("generating an identity: unknown kind %v: use Hybrid or X25519", kind)
}
