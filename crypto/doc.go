// Package crypto encrypts and decrypts Kubernetes Secret manifests in the SOPS
// file format with age recipients, in memory.
//
// Files it writes are byte-compatible with the sops CLI (3.13 and later): only
// the values under data and stringData are encrypted (encrypted_regex
// "^(data|stringData)$"), everything else stays readable, comments and the
// input's indentation are kept, and one MAC covers every value of every
// document. The data key is wrapped for each age recipient separately (X25519
// "age1…" and post-quantum hybrid "age1pq1…" may be mixed in one file), and
// identities are always passed in by the caller.
//
// What the SOPS MAC covers: every value, encrypted or not, in document order,
// so changing a name, a namespace or a ciphertext, moving an encrypted value to
// another key (its path is the AES-GCM additional data) or to another
// document, or adding or removing a value all fail Decrypt. It does not cover
// mapping keys of plaintext values or comments: that is the SOPS format, and
// callers that care about an object's identity must check it after decryption.
//
// Untrusted input is bounded: files over MaxFileSize, with more than 10,000
// documents, more than 500,000 keys and values (aliases expanded) or nesting
// deeper than 10,000 levels are refused before the sops stores see them.
//
// This package must never: look up keys from the environment or the file
// system (no SOPS_AGE_KEY_FILE, no ~/.config), talk to a Kubernetes API, write
// files, keep global mutable state, or put a value (plaintext or ciphertext) or
// a private key into an error, a log line or a panic message. Errors from
// third-party parsers are mapped to our own words, and their panics are
// recovered into ErrMalformed.
package crypto
