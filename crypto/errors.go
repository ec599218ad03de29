package crypto

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns is a *FileError wrapping
// one of these; test for them with errors.Is.
var (
	// ErrMACMismatch: the file was changed after it was encrypted (a value,
	// a name or namespace, a ciphertext, or the MAC itself), or a value was
	// moved to another key or document.
	ErrMACMismatch = errors.New("integrity check failed (MAC mismatch)")
	// ErrIdentityMismatch: a document's kind, namespace or name differs
	// from the identity sealed in its BindingAnnotation (mapping keys were
	// renamed or swapped, which the MAC does not cover), or the annotation
	// is there but not encrypted.
	ErrIdentityMismatch = errors.New("identity check failed (not the object it was sealed for)")
	// ErrNoMatchingIdentity: none of the identities given opens the data key.
	// The message lists the recipients the file is encrypted for.
	ErrNoMatchingIdentity = errors.New("no matching identity")
	// ErrMalformed: the input is not valid YAML, JSON or dotenv, or not a
	// well-formed SOPS file.
	ErrMalformed = errors.New("malformed file")
	// ErrNotSecret: the file holds no Kubernetes Secret (the CLI skips it).
	ErrNotSecret = errors.New("not a Kubernetes Secret")
	// ErrMixedKinds: Secrets share the file with other kinds.
	ErrMixedKinds = errors.New("mixed kinds")
	// ErrNoNamespace: a Secret to encrypt has no namespace, so its sealed
	// identity would fit a Secret of its name in any namespace.
	ErrNoNamespace = errors.New("no namespace")
	// ErrAlreadyEncrypted: the file already carries SOPS metadata.
	ErrAlreadyEncrypted = errors.New("already encrypted")
	// ErrNotEncrypted: the file carries no SOPS metadata.
	ErrNotEncrypted = errors.New("not encrypted")
	// ErrTooLarge: the input is over MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrInvalidRecipient: a recipient string is not an age recipient we support.
	ErrInvalidRecipient = errors.New("invalid recipient")
	// ErrInvalidOptions: EncryptOptions are invalid (an EncryptedRegex that
	// does not compile).
	ErrInvalidOptions = errors.New("invalid options")
	// ErrUnsupported: a valid SOPS file uses a feature this package refuses
	// (several Shamir key groups when rewrapping, mac_only_encrypted).
	ErrUnsupported = errors.New("unsupported SOPS feature")
)

// MaxFileSize is the largest input any function of this package accepts.
const MaxFileSize = 8 << 20

// FileError is the error type of this package: the file it concerns and what
// went wrong. Err wraps one of the sentinel errors.
type FileError struct {
	Name string
	Err  error
}

func (e *FileError) Error() string {
	name := e.Name
	if name == "" {
		name = "<input>"
	}
	return name + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// fileErr builds a *FileError around kind with a detail message. Callers
// must never pass a value or third-party error text that could quote one.
func fileErr(name string, kind error, format string, args ...any) error {
	return &FileError{Name: name, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// recoverInto turns a panic in a third-party parser into an ErrMalformed
// error. The panic value is dropped: it could quote the input.
func recoverInto(name string, err *error) {
	if r := recover(); r != nil {
		*err = fileErr(name, ErrMalformed, "the file could not be parsed (a parser failed on it); check that it is valid YAML or JSON")
	}
}

// checkSize refuses inputs over MaxFileSize.
func checkSize(name string, data []byte) error {
	if len(data) > MaxFileSize {
		return fileErr(name, ErrTooLarge, "%d bytes, over the limit of %d; Secret manifests are small, so check that this is the right file", len(data), MaxFileSize)
	}
	return nil
}
