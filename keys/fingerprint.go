package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fingerprint returns a short, stable name for a recipient:
// "sha256:" followed by the first 16 hex digits of the SHA-256 of the
// recipient string (surrounding white space ignored). It identifies keys in
// status fields, messages and `seal keys list` without printing ~1,950
// characters of hybrid recipient.
func Fingerprint(recipient string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(recipient)))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// shortLimit is the longest recipient Short prints whole; X25519
// recipients (62 characters) fit, hybrid ones (~1,950) do not.
const shortLimit = 64

// Short abbreviates a recipient for humans: a hybrid recipient becomes
// "age1pq1qzx…k3v (sha256:…)", an X25519 recipient is returned whole.
func Short(recipient string) string {
	r := strings.TrimSpace(recipient)
	if len(r) <= shortLimit {
		return r
	}
	return r[:10] + "…" + r[len(r)-3:] + " (" + Fingerprint(r) + ")"
}

// abbrev shortens untrusted input for an error message, without hashing:
// the input may be garbage, and the message only has to help find it.
func abbrev(s string) string {
	if len(s) <= shortLimit {
		return s
	}
	return s[:12] + "…" + s[len(s)-4:]
}
