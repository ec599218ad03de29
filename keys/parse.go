package keys

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
)

// maxIdentityFile caps what ParseIdentities reads, as age does.
const maxIdentityFile = 16 << 20

// IdentityError reports a line of an identity file that is not a usable
// age secret key. It never holds the line itself.
type IdentityError struct {
	File   string // name of the file or variable, as given to ParseIdentities
	Line   int    // 1-based
	Reason string // what is wrong and what to do, in our words
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidIdentity) true.
func (e *IdentityError) Unwrap() error { return ErrInvalidIdentity }

// ParseIdentities reads an age identity file: one AGE-SECRET-KEY-PQ-1… or
// AGE-SECRET-KEY-1… key a line, lines starting with # and blank lines
// ignored, surrounding white space (and Windows line endings) tolerated.
// name is used in errors. Errors name the line and never quote it. A file
// without any key gives an error wrapping ErrNoIdentity.
func ParseIdentities(name string, data []byte) (*Ring, error) {
	return parseIdentities(name, data, false)
}

// parseIdentities is ParseIdentities; with words, a line may hold several
// keys separated by white space, as sops allows in SOPS_AGE_KEY.
func parseIdentities(name string, data []byte, words bool) (*Ring, error) {
	if len(data) > maxIdentityFile {
		return nil, fmt.Errorf("%s: %w: larger than %d MiB, not an identity file", name, ErrInvalidIdentity, maxIdentityFile>>20)
	}
	ring := &Ring{}
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, &IdentityError{File: name, Line: n, Reason: "not valid UTF-8"}
		}
		fields := []string{line}
		if words {
			fields = strings.Fields(line)
		}
		for _, f := range fields {
			id, reason := parseIdentity(f)
			if reason != "" {
				return nil, &IdentityError{File: name, Line: n, Reason: reason}
			}
			ring.add(id)
		}
	}
	if ring.Len() == 0 {
		return nil, fmt.Errorf("%s: %w: the file holds no AGE-SECRET-KEY line (create one with `seal keygen`)", name, ErrNoIdentity)
	}
	return ring, nil
}

// parseIdentity parses one key. On failure it returns a reason in our own
// words: age's errors may quote parts of the key.
func parseIdentity(s string) (*Identity, string) {
	upper := strings.ToUpper(s)
	var (
		id  age.Identity
		err error
	)
	switch {
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-PQ-1"):
		id, err = age.ParseHybridIdentity(s)
	case strings.HasPrefix(upper, "AGE-SECRET-KEY-1"):
		id, err = age.ParseX25519Identity(s)
	case strings.HasPrefix(upper, "AGE-PLUGIN-"):
		return nil, "age plugin identities are not supported by seal; use an AGE-SECRET-KEY identity"
	case strings.HasPrefix(s, "age1"):
		return nil, "this is a recipient (public key), not a secret key; identity files hold AGE-SECRET-KEY-PQ-1… or AGE-SECRET-KEY-1… lines"
	case strings.HasPrefix(s, "-----BEGIN"):
		return nil, "PEM and SSH private keys are not supported; use an age identity (seal keygen)"
	default:
		return nil, "not an age secret key: expected AGE-SECRET-KEY-PQ-1… (post-quantum) or AGE-SECRET-KEY-1… (X25519), a # comment or a blank line"
	}
	if err != nil {
		return nil, "malformed age secret key: truncated, corrupted or mistyped (its checksum or length is wrong)"
	}
	out, err := fromAge(id)
	if err != nil {
		return nil, "unsupported age identity type"
	}
	return out, ""
}

// isNoIdentity reports an identity source that was read but held no key.
func isNoIdentity(err error) bool {
	return errors.Is(err, ErrNoIdentity) && !errors.Is(err, ErrInvalidIdentity)
}
