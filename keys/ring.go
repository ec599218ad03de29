package keys

import (
	"fmt"

	"filippo.io/age"
)

// Ring is an ordered set of identities, for instance the agent's current
// key and the one being rotated out. Order matters: decryption tries the
// identities in order. A nil *Ring is an empty ring.
type Ring struct {
	ids []*Identity
}

// NewRing returns a ring holding ids in order, duplicates dropped.
func NewRing(ids ...*Identity) *Ring {
	r := &Ring{}
	for _, id := range ids {
		r.add(id)
	}
	return r
}

// add appends id unless an identity with the same recipient is present.
func (r *Ring) add(id *Identity) {
	if id == nil || r.Contains(id.recipient) {
		return
	}
	r.ids = append(r.ids, id)
}

// Add appends the identities of other, dropping those already present.
func (r *Ring) Add(other *Ring) {
	if other == nil {
		return
	}
	for _, id := range other.ids {
		r.add(id)
	}
}

// Contains reports whether the ring holds the identity of recipient.
func (r *Ring) Contains(recipient string) bool {
	if r == nil {
		return false
	}
	for _, id := range r.ids {
		if id.recipient == recipient {
			return true
		}
	}
	return false
}

// Len returns the number of identities.
func (r *Ring) Len() int {
	if r == nil {
		return 0
	}
	return len(r.ids)
}

// Identities returns the identities in order (a copy of the slice).
func (r *Ring) Identities() []*Identity {
	if r == nil {
		return nil
	}
	return append([]*Identity(nil), r.ids...)
}

// AgeIdentities returns the identities in order, for age.Decrypt and
// crypto.Decrypt.
func (r *Ring) AgeIdentities() []age.Identity {
	if r == nil {
		return nil
	}
	out := make([]age.Identity, len(r.ids))
	for i, id := range r.ids {
		out[i] = id.id
	}
	return out
}

// Recipients returns the public recipients in order.
func (r *Ring) Recipients() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.ids))
	for i, id := range r.ids {
		out[i] = id.recipient
	}
	return out
}

// Format prints the ring's public side only, whatever the verb.
func (r Ring) Format(f fmt.State, _ rune) {
	fmt.Fprint(f, "keys.Ring[")
	for i, id := range r.ids {
		if i > 0 {
			fmt.Fprint(f, " ")
		}
		fmt.Fprintf(f, "%s %s", id.kind, Short(id.recipient))
	}
	fmt.Fprint(f, "]")
}
