// Package keys handles age identities and recipients for Seal: it generates
// identities (post-quantum ML-KEM-768 + X25519 hybrid by default, X25519 on
// request), parses identity files in the age-keygen format, holds several
// identities in a Ring for key rotation, validates and abbreviates
// recipients, finds identities where the sops CLI finds them, and reads and
// edits the creation rules of a .sops.yaml exactly as sops 3.13 matches them.
//
// It must never put private key material in an error, a log line or a
// formatted value (Identity and Ring print only public recipients), never read
// the process environment directly (callers pass an Env), and never talk to
// Kubernetes.
package keys
