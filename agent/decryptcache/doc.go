// Package decryptcache remembers SOPS files the agent has already opened,
// so a sync whose commit changed one file decrypts that file only, not
// every file of the path again.
//
// An entry is keyed by a SHA-256 of everything that decides what opening
// the file returns: the GitSync it was opened for (namespace, name and
// UID), the file's name, whether it was opened whole, the file's bytes,
// and the recipients of every identity of the key ring used. So a hit is
// what decrypting again would return, and one GitSync never receives what
// another's keys opened. The bytes include the SOPS MAC and the sealed
// identities, so an entry is only ever made from a file whose MAC was
// verified.
//
// Entries hold decrypted values: only in memory, never on disk, bounded
// by bytes (least recently used first out), and dropped with their
// GitSync (Forget). Callers get copies, so wiping what they got leaves the
// entry intact.
package decryptcache
