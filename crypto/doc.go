// Package crypto encrypts and decrypts Kubernetes Secret manifests in the SOPS
// file format with age recipients, in memory.
//
// Files it writes are byte-compatible with the sops CLI (3.13 and later): only
// the values under data and stringData and the identity annotation described
// below are encrypted (encrypted_regex
// "^(data|stringData|seal\.dev/sealed-for)$"), everything else stays
// readable, comments and the input's indentation are kept, and one MAC covers every value of every document. The data key is
// wrapped for each age recipient separately (X25519 "age1…" and post-quantum
// hybrid "age1pq1…" may be mixed in one file), and identities are always
// passed in by the caller.
//
// What the SOPS MAC covers: every value, encrypted or not, in document order,
// so changing a name, a namespace or a ciphertext, moving an encrypted value to
// another key (its path is the AES-GCM additional data) or to another
// document, or adding or removing a non-empty value all fail Decrypt. It does
// not cover mapping keys of plaintext values, comments, or values that are
// empty or null: swapping the name and namespace keys, or renaming namespace
// to a key the agent ignores, keeps every value in order and the MAC intact.
//
// So Encrypt also seals each Secret document's identity: the annotation
// seal.dev/sealed-for holds "<kind>/<namespace>/<name>", encrypted like data.
// Its path is its additional data and its plaintext is in the MAC, so without
// the data key it cannot be changed, moved, removed or added. After the MAC,
// Decrypt (and every function that opens a file) compares each document that
// carries the annotation with the document's kind, namespace and name, and
// fails with ErrIdentityMismatch when they differ or the annotation is not
// encrypted. The decrypted text shows the annotation in plaintext, as `sops
// decrypt` does, so it is applied with the Secret. Decrypted.Unbound lists the Secret documents without one (files
// written by the sops CLI, which still decrypt); for those, only the MAC's
// guarantees hold. Reencrypt recomputes the bindings (and binds sops-made
// files on their first real edit); Rewrap with a new data key re-encrypts
// them as they are and never adds one. The sops CLI keeps a binding
// encrypted, but does not update it: renaming a Secret with sops makes
// Decrypt refuse the file until it is encrypted again with seal.
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
