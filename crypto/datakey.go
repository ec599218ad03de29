package crypto

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/shamir"
)

const dataKeySize = 32

// openResult says how one attempt to open a wrapped data key went.
type openResult int

const (
	opened     openResult = iota
	noMatch               // the identity is not a recipient of this age file
	unreadable            // the age file cannot be parsed at all
	damaged               // the identity matched, but the file is corrupt
)

// wrappedKey is one age-wrapped copy of the data key (or of a Shamir part).
type wrappedKey struct {
	recipient string
	raw       []byte // de-armored age file; nil when unreadable
}

func newWrappedKey(k *sopsage.MasterKey) wrappedKey {
	w := wrappedKey{recipient: k.Recipient}
	raw, err := io.ReadAll(io.LimitReader(armor.NewReader(strings.NewReader(k.EncryptedKey)), 64<<10))
	if err == nil {
		w.raw = raw
	}
	return w
}

// open tries one identity on the wrapped key.
func (w wrappedKey) open(id age.Identity) ([]byte, openResult) {
	if w.raw == nil {
		return nil, unreadable
	}
	r, err := age.Decrypt(bytes.NewReader(w.raw), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		switch {
		case errors.As(err, &nm):
			return nil, noMatch
		case strings.HasPrefix(err.Error(), "failed to read header"):
			return nil, unreadable
		default:
			return nil, damaged
		}
	}
	key, err := io.ReadAll(io.LimitReader(r, 256))
	if err != nil || len(key) == 0 || len(key) >= 256 {
		return nil, damaged
	}
	return key, opened
}

// recipientOf returns the recipient string of the identity types we know.
func recipientOf(id age.Identity) string {
	switch id := id.(type) {
	case *age.X25519Identity:
		return id.Recipient().String()
	case *age.HybridIdentity:
		return id.Recipient().String()
	}
	return ""
}

// groupOutcome is the result of opening one key group.
type groupOutcome struct {
	part      []byte
	identity  int
	damagedAt string // a recipient whose wrapped key matched but is corrupt
}

// openGroup tries the identities in order on the group's age keys; for each
// identity the key whose recipient string matches it goes first.
func openGroup(group sops.KeyGroup, ids []age.Identity) groupOutcome {
	var wrapped []wrappedKey
	for _, k := range ageKeys(group) {
		wrapped = append(wrapped, newWrappedKey(k))
	}
	out := groupOutcome{identity: -1}
	for i, id := range ids {
		if id == nil {
			continue
		}
		own := recipientOf(id)
		for pass := 0; pass < 2; pass++ {
			for _, w := range wrapped {
				if (pass == 0) != (own != "" && strings.EqualFold(w.recipient, own)) {
					continue
				}
				part, res := w.open(id)
				switch res {
				case opened:
					out.part, out.identity = part, i
					return out
				case damaged:
					out.damagedAt = w.recipient
				}
			}
		}
	}
	return out
}

// unwrapDataKey recovers the data key with the given identities: from the
// single key group, or by combining Shamir parts from enough key groups.
func unwrapDataKey(name string, md *sops.Metadata, ids []age.Identity) ([]byte, int, error) {
	groups := md.KeyGroups
	if len(groups) == 0 {
		return nil, -1, fileErr(name, ErrMalformed, "its SOPS metadata lists no keys; restore the file from Git")
	}
	threshold := 1
	if len(groups) > 1 {
		threshold = md.ShamirThreshold
		if threshold <= 0 {
			threshold = len(groups)
		}
		if threshold > len(groups) {
			return nil, -1, fileErr(name, ErrMalformed, "its Shamir threshold %d is larger than its %d key groups; restore the file from Git", threshold, len(groups))
		}
	}
	var parts [][]byte
	identity, damagedAt := -1, ""
	for _, g := range groups {
		o := openGroup(g, ids)
		if o.part == nil {
			if o.damagedAt != "" {
				damagedAt = o.damagedAt
			}
			continue
		}
		parts = append(parts, o.part)
		if identity == -1 || o.identity < identity {
			identity = o.identity
		}
		if len(parts) == threshold {
			break
		}
	}
	if len(parts) < threshold {
		if damagedAt != "" {
			return nil, -1, fileErr(name, ErrMalformed, "the data key wrapped for %s is damaged (an identity matched it, but the age file is corrupt); restore the file from Git", ShortRecipient(damagedAt))
		}
		return nil, -1, noIdentityError(name, md, ids, len(parts), threshold)
	}
	key := parts[0]
	if len(groups) > 1 {
		var err error
		if key, err = combineParts(parts); err != nil {
			return nil, -1, fileErr(name, ErrMalformed, "its Shamir key parts do not combine; restore the file from Git")
		}
	}
	if len(key) != dataKeySize {
		return nil, -1, fileErr(name, ErrMalformed, "its data key has %d bytes instead of %d; restore the file from Git", len(key), dataKeySize)
	}
	return key, identity, nil
}

func combineParts(parts [][]byte) (key []byte, err error) {
	defer func() {
		if recover() != nil {
			key, err = nil, errors.New("shamir combine failed")
		}
	}()
	for _, p := range parts[1:] {
		if len(p) != len(parts[0]) {
			return nil, errors.New("shamir parts differ in length")
		}
	}
	return shamir.Combine(parts)
}

// noIdentityError lists the recipients a file is encrypted for, so the user
// knows which key is needed.
func noIdentityError(name string, md *sops.Metadata, ids []age.Identity, got, need int) error {
	var rs []string
	for _, g := range md.KeyGroups {
		for _, k := range ageKeys(g) {
			rs = append(rs, ShortRecipient(k.Recipient))
		}
	}
	n := 0
	for _, id := range ids {
		if id != nil {
			n++
		}
	}
	if len(rs) == 0 {
		return fileErr(name, ErrNoMatchingIdentity, "the file is encrypted only for non-age keys (PGP or a cloud KMS); decrypt it with the sops CLI")
	}
	shamirNote := ""
	if len(md.KeyGroups) > 1 {
		shamirNote = " (it needs " + itoa(need) + " of its " + itoa(len(md.KeyGroups)) + " Shamir key groups; the identities given open " + itoa(got) + ")"
	}
	given := "no identity was given"
	switch n {
	case 0:
	case 1:
		given = "the identity given does not open it"
	default:
		given = "none of the " + itoa(n) + " identities given opens it"
	}
	return fileErr(name, ErrNoMatchingIdentity, "the file is encrypted for %s; %s%s. Use the private key of one of these recipients, or ask someone who can decrypt the file to add your recipient with `seal keys rotate`", strings.Join(rs, ", "), given, shamirNote)
}

func itoa(i int) string { return strconv.Itoa(i) }
