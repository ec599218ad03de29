// Package verify checks that a Git commit carries a valid signature by a
// trusted key, before anything of it is rendered or applied: OpenPGP
// signatures (git's default gpg.format) through go-git, and SSH signatures
// (gpg.format=ssh) through github.com/hiddeco/sshsig against an
// allowed-signers list in git's own format.
//
// It never trusts a key the commit brings along, never reads the network
// or the filesystem, and reports the commit and, when it can tell, the
// signer of every refusal.
package verify
