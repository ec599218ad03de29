// Package keyring holds the agent's own age identities. On start the agent
// makes sure its key Secret exists, generating a post-quantum hybrid
// identity into it the first time, and publishes only the public recipient
// in a ConfigMap for developers to encrypt to.
//
// A key Secret may hold several identities (each data value is an age
// identity file), and all of them are tried when decrypting, so a key can be
// rotated without downtime: add the new identity, re-encrypt the repository,
// then remove the old one. Private keys never leave the Secret: they are not
// logged, copied to another object, or written to disk.
package keyring
