package keys

import (
	"fmt"
	"strings"

	"filippo.io/age"
)

// validRecipientHint ends every invalid-recipient message.
const validRecipientHint = "a recipient looks like age1pq1… (post-quantum, about 1,950 characters, printed by `seal keygen`) or age1… (X25519, 62 characters)"

// RecipientError reports a string that is not a usable age recipient.
type RecipientError struct {
	Recipient string // abbreviated; empty when the input looked like a secret key
	Reason    string
	secretKey bool // the input looked like a secret key and is not shown
}

func (e *RecipientError) Error() string {
	if e.secretKey {
		return fmt.Sprintf("invalid recipient: %s", e.Reason)
	}
	return fmt.Sprintf("invalid recipient %q: %s; %s", e.Recipient, e.Reason, validRecipientHint)
}

// Unwrap makes errors.Is(err, ErrInvalidRecipient) true.
func (e *RecipientError) Unwrap() error { return ErrInvalidRecipient }

// ParseRecipient parses a hybrid (age1pq1…) or X25519 (age1…) recipient,
// surrounding white space ignored. Plugin and SSH recipients are refused.
// Errors wrap ErrInvalidRecipient, show the input abbreviated, and never
// show it at all when it looks like a secret key.
func ParseRecipient(s string) (age.Recipient, Kind, error) {
	s = strings.TrimSpace(s)
	bad := func(reason string) (age.Recipient, Kind, error) {
		return nil, Hybrid, &RecipientError{Recipient: abbrev(s), Reason: reason}
	}
	switch {
	case s == "":
		return bad("empty")
	case strings.Contains(strings.ToUpper(s), "SECRET-KEY"):
		return nil, Hybrid, &RecipientError{secretKey: true, Reason: "this is a secret key (AGE-SECRET-KEY-…), not a recipient: keep it private, and pass " +
			"its public key instead (the `# public key:` line of the key file)"}
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return bad("malformed post-quantum recipient: truncated, corrupted or mistyped")
		}
		return r, Hybrid, nil
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1:
		return bad("age plugin recipients are not supported by seal")
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return bad("malformed X25519 recipient: truncated, corrupted or mistyped")
		}
		return r, X25519, nil
	case strings.HasPrefix(s, "ssh-"):
		return bad("SSH recipients are not supported by seal")
	}
	return bad("not an age recipient")
}

// ReadRecipients collects recipients from command-line arguments. Each
// argument is a recipient, several separated by commas as sops --age takes
// them, or "@FILE": a file read with readFile holding one recipient a line,
// # comments and blank lines ignored. Every recipient is validated; the
// result keeps the order of first appearance, without duplicates. No
// arguments give no recipients and no error.
func ReadRecipients(args []string, readFile func(string) ([]byte, error)) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(where, s string) error {
		r, _, err := ParseRecipient(s)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		canon := fmt.Sprint(r)
		if !seen[canon] {
			seen[canon] = true
			out = append(out, canon)
		}
		return nil
	}
	for i, arg := range args {
		if name, ok := strings.CutPrefix(arg, "@"); ok {
			if err := readRecipientFile(name, readFile, add); err != nil {
				return nil, err
			}
			continue
		}
		for part := range strings.SplitSeq(arg, ",") {
			if err := add(fmt.Sprintf("recipient argument %d", i+1), part); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// readRecipientFile feeds each recipient line of the file name to add.
func readRecipientFile(name string, readFile func(string) ([]byte, error), add func(where, s string) error) error {
	data, err := readFile(name)
	if err != nil {
		return fmt.Errorf("%s: reading recipients: %w", name, err)
	}
	found := false
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := add(fmt.Sprintf("%s line %d", name, n), line); err != nil {
			return err
		}
		found = true
	}
	if !found {
		return fmt.Errorf("%s: %w: the file holds no recipient line", name, ErrNoRecipient)
	}
	return nil
}
