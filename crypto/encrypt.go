package crypto

import (
	"crypto/rand"
	"fmt"
	"regexp"

	"github.com/getsops/sops/v3"
)

// DefaultEncryptedRegex selects the values of a Secret that are encrypted:
// everything under data and stringData. (Files get BoundEncryptedRegex,
// which adds the binding annotation.)
const DefaultEncryptedRegex = "^(data|stringData)$"

// sopsVersion is the sops version whose format this package writes; it goes
// into the files' metadata as sops itself would write it.
const sopsVersion = "3.13.3"

// EncryptOptions says whom to encrypt for and what.
type EncryptOptions struct {
	// Recipients are age recipient strings (age1… or age1pq1…); at least one.
	Recipients []string
	// EncryptedRegex selects the keys whose values are encrypted; default
	// DefaultEncryptedRegex. The file's encrypted_regex is this one
	// extended to match BindingAnnotation too (see BoundEncryptedRegex).
	EncryptedRegex string
	// Namespace is set on Secrets that have no metadata.namespace; a
	// Secret with another namespace is refused (ErrNoNamespace).
	Namespace string
	// RequireNamespace refuses (ErrNoNamespace) a Secret that has no
	// namespace when Namespace is "": its sealed identity would name no
	// namespace, and the agent refuses such values unless a GitSync sets
	// spec.decryption.allowUnbound.
	RequireNamespace bool
}

func (o EncryptOptions) regex() string {
	if o.EncryptedRegex == "" {
		return DefaultEncryptedRegex
	}
	return o.EncryptedRegex
}

// Encrypt encrypts the values matched by EncryptedRegex in a file of
// Kubernetes Secret manifests (one or more YAML documents; JSON by .json
// extension), and seals each Secret's identity in its BindingAnnotation
// (added, or replaced when the input has one), encrypted. name is the file
// path, for errors and format detection.
// Documents without any key (as a trailing "---" makes) are dropped.
// It fails with ErrNotSecret when no document is a Secret, ErrMixedKinds
// when Secrets share the file with other kinds, and ErrAlreadyEncrypted.
func Encrypt(name string, plaintext []byte, opts EncryptOptions) (out []byte, err error) {
	defer recoverInto(name, &err)
	if err := checkSize(name, plaintext); err != nil {
		return nil, err
	}
	f := formatFor(name)
	if f == formatDotenv {
		return nil, fileErr(name, ErrNotSecret, "dotenv files hold no Kubernetes manifests; only Secret manifests (YAML or JSON) are encrypted")
	}
	if _, err := regexp.Compile(opts.regex()); err != nil {
		return nil, fileErr(name, ErrInvalidOptions, "EncryptedRegex does not compile: %v", err)
	}
	encRegex, ok := boundRegex(opts.regex())
	if !ok {
		return nil, fileErr(name, ErrInvalidOptions, "EncryptedRegex cannot be extended to cover the %s annotation (it holds an unterminated \\Q quote)", BindingAnnotation)
	}
	rs, err := parseRecipients(name, opts.Recipients)
	if err != nil {
		return nil, err
	}
	store, branches, err := loadPlain(name, f, plaintext)
	if err != nil {
		return nil, err
	}
	branches = dropEmpty(branches)
	if hasSopsKey(store, branches) {
		return nil, fileErr(name, ErrAlreadyEncrypted, "it has SOPS metadata (a top-level sops entry); change it with `seal edit`, or its keys with `seal keys rotate`")
	}
	if err := checkKinds(name, branches); err != nil {
		return nil, err
	}
	if err := setNamespaces(name, branches, opts.Namespace, opts.RequireNamespace); err != nil {
		return nil, err
	}
	if _, err := bind(name, branches); err != nil {
		return nil, err
	}
	return encryptNew(name, store, branches, rs, encRegex)
}

// encryptNew encrypts plaintext branches under a fresh data key for rs,
// with encRegex ("" encrypts every value), and writes them out.
func encryptNew(name string, store sops.Store, branches sops.TreeBranches, rs []recipient, encRegex string) ([]byte, error) {
	dataKey, err := generateDataKey(name)
	if err != nil {
		return nil, err
	}
	group, err := keyGroup(name, dataKey, rs)
	if err != nil {
		return nil, err
	}
	tree := sops.Tree{
		Branches: branches,
		Metadata: sops.Metadata{
			KeyGroups:      []sops.KeyGroup{group},
			EncryptedRegex: encRegex,
			Version:        sopsVersion,
		},
		FilePath: name,
	}
	if err := encryptTree(name, &tree, dataKey, newValueCipher()); err != nil {
		return nil, err
	}
	return emitEncrypted(name, store, &tree)
}

func generateDataKey(name string) ([]byte, error) {
	key := make([]byte, dataKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, &FileError{Name: name, Err: fmt.Errorf("generating a data key: %w", err)}
	}
	return key, nil
}
