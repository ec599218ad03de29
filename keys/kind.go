package keys

import (
	"fmt"
	"strings"
)

// Kind is the kind of an age identity or recipient.
type Kind int

const (
	// Hybrid is the post-quantum ML-KEM-768 + X25519 kind (recipients
	// age1pq1…, secret keys AGE-SECRET-KEY-PQ-1…). It is the zero value and
	// the default.
	Hybrid Kind = iota
	// X25519 is the classic age kind (recipients age1…, secret keys
	// AGE-SECRET-KEY-1…), for tools that cannot yet read hybrid recipients.
	X25519
)

// String returns "hybrid" or "x25519".
func (k Kind) String() string {
	switch k {
	case Hybrid:
		return "hybrid"
	case X25519:
		return "x25519"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// ParseKind reads a kind as a user types it on the command line: "hybrid"
// (also "pq" or "post-quantum") or "x25519", case-insensitive.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hybrid", "pq", "post-quantum", "mlkem768x25519":
		return Hybrid, nil
	case "x25519", "classic":
		return X25519, nil
	}
	return Hybrid, fmt.Errorf("unknown key kind %q: use hybrid (post-quantum, the default) or x25519", s)
}
