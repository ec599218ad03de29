package crypto

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
)

// recipient is a parsed age recipient and its canonical string.
type recipient struct {
	r age.Recipient
	s string
}

// parseRecipients parses age recipient strings: "age1pq1…" (ML-KEM-768 +
// X25519 hybrid) or "age1…" (X25519). Duplicates are dropped. Errors never
// echo an input that could be a private key.
func parseRecipients(name string, in []string) ([]recipient, error) {
	if len(in) == 0 {
		return nil, fileErr(name, ErrInvalidRecipient, "no recipients given; pass at least one age recipient (age1… or age1pq1…)")
	}
	seen := make(map[string]bool, len(in))
	out := make([]recipient, 0, len(in))
	for i, s := range in {
		r, err := parseRecipient(name, i, strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		if !seen[r.s] {
			seen[r.s] = true
			out = append(out, r)
		}
	}
	return out, nil
}

func parseRecipient(name string, i int, s string) (recipient, error) {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "age-secret-key-"):
		return recipient{}, fileErr(name, ErrInvalidRecipient, "recipient %d is a private key, not a recipient; pass its public key instead (age-keygen -y prints it)", i+1)
	case strings.HasPrefix(lower, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return recipient{}, fileErr(name, ErrInvalidRecipient, "recipient %d (%s) is not a valid post-quantum age recipient; check for a copy-and-paste error", i+1, ShortRecipient(s))
		}
		return recipient{r, r.String()}, nil
	case strings.HasPrefix(lower, "age1") && strings.Count(lower, "1") > 1:
		return recipient{}, fileErr(name, ErrInvalidRecipient, "recipient %d (%s) is an age plugin recipient, which is not supported; use an age1… or age1pq1… recipient", i+1, ShortRecipient(s))
	case strings.HasPrefix(lower, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return recipient{}, fileErr(name, ErrInvalidRecipient, "recipient %d (%s) is not a valid age recipient; check for a copy-and-paste error", i+1, ShortRecipient(s))
		}
		return recipient{r, r.String()}, nil
	default:
		return recipient{}, fileErr(name, ErrInvalidRecipient, "recipient %d is not an age recipient; expected age1… (X25519) or age1pq1… (post-quantum hybrid)", i+1)
	}
}

// wrapDataKey encrypts the data key to one recipient as an armored age file,
// as sops does: one age file per recipient, so post-quantum and classic
// recipients can share a SOPS file.
func wrapDataKey(dataKey []byte, r recipient) (string, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r.r)
	if err != nil {
		return "", fmt.Errorf("wrapping the data key for %s: %w", ShortRecipient(r.s), err)
	}
	if _, err := w.Write(dataKey); err != nil {
		return "", fmt.Errorf("wrapping the data key for %s: %w", ShortRecipient(r.s), err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("wrapping the data key for %s: %w", ShortRecipient(r.s), err)
	}
	if err := aw.Close(); err != nil {
		return "", fmt.Errorf("wrapping the data key for %s: %w", ShortRecipient(r.s), err)
	}
	return buf.String(), nil
}

// keyGroup wraps the data key for every recipient into one SOPS key group.
func keyGroup(name string, dataKey []byte, rs []recipient) (sops.KeyGroup, error) {
	group := make(sops.KeyGroup, 0, len(rs))
	for _, r := range rs {
		enc, err := wrapDataKey(dataKey, r)
		if err != nil {
			return nil, &FileError{Name: name, Err: err}
		}
		group = append(group, &sopsage.MasterKey{Recipient: r.s, EncryptedKey: enc})
	}
	return group, nil
}

// ageKeys lists the age master keys of a key group.
func ageKeys(group sops.KeyGroup) []*sopsage.MasterKey {
	var out []*sopsage.MasterKey
	for _, k := range group {
		if a, ok := k.(*sopsage.MasterKey); ok {
			out = append(out, a)
		}
	}
	return out
}

// otherKeys describes the master keys of a group that are not age keys.
func otherKeys(group sops.KeyGroup) []string {
	var out []string
	for _, k := range group {
		if _, ok := k.(*sopsage.MasterKey); !ok {
			out = append(out, k.TypeToIdentifier())
		}
	}
	return out
}

var bech32Re = regexp.MustCompile(`^age1[02-9ac-hj-np-z]+$`)

// ShortRecipient returns a form of an age recipient short enough for a
// message: X25519 recipients whole, post-quantum ones (about 2,000
// characters) as their start and end. Anything that is not a well-formed
// recipient is not echoed.
func ShortRecipient(r string) string {
	r = strings.ToLower(r)
	if !bech32Re.MatchString(strings.Replace(r, "age1pq1", "age1", 1)) {
		return "(not an age recipient)"
	}
	if len(r) <= 70 {
		return r
	}
	return r[:16] + "…" + r[len(r)-10:]
}
