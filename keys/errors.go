package keys

import "errors"

// Sentinel errors. Every error this package returns that a caller may branch
// on wraps one of these, so errors.Is works; the messages around them name
// the file, line or recipient concerned and say what to do.
var (
	// ErrInvalidIdentity: a line of an identity file is not a usable age
	// secret key.
	ErrInvalidIdentity = errors.New("invalid age identity")
	// ErrNoIdentity: no age identity was found where one was expected.
	ErrNoIdentity = errors.New("no age identity found")
	// ErrInvalidRecipient: a string is not a usable age recipient.
	ErrInvalidRecipient = errors.New("invalid age recipient")
	// ErrNoRecipient: no recipient was given where at least one is needed.
	ErrNoRecipient = errors.New("no age recipient")
	// ErrNoConfig: no .sops.yaml was found.
	ErrNoConfig = errors.New("no .sops.yaml found")
	// ErrInvalidConfig: a .sops.yaml cannot be read as sops would read it.
	ErrInvalidConfig = errors.New("invalid .sops.yaml")
	// ErrNoRule: no creation rule of a .sops.yaml matches a file.
	ErrNoRule = errors.New("no matching creation rule")
	// ErrUnmanagedRule: a creation rule uses keys seal does not manage
	// (pgp, kms, key groups…) instead of plain age recipients.
	ErrUnmanagedRule = errors.New("creation rule not managed by seal")
)
