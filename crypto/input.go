package crypto

import (
	"regexp"

	"github.com/getsops/sops/v3"
)

// InputOptions says whom to encrypt a generator input for and which Secret
// it feeds.
type InputOptions struct {
	// Recipients are age recipient strings; at least one.
	Recipients []string
	// Namespace and Name are those of the Secret the kustomize
	// secretGenerator makes from the file (or, with Kind ReleaseKind, of
	// the Helm release that reads the file as values); both required.
	Namespace, Name string
	// Kind is what the file is bound to: "" or "Secret" for a generator
	// input, ReleaseKind for a Helm values file.
	Kind string
}

// ReleaseKind is the kind in the identity of a Helm values file bound to
// its release: "HelmRelease/<namespace>/<release name>".
const ReleaseKind = "HelmRelease"

// dnsLabelRe and dnsSubdomainRe are Kubernetes' namespace and Secret name
// shapes.
var (
	dnsLabelRe     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// EncryptInput encrypts every value of a file that a kustomize
// secretGenerator (or, with Kind ReleaseKind, a Helm release) reads (dotenv by .env, JSON by .json, otherwise YAML) and
// seals the identity of the Secret it feeds, "Secret/<namespace>/<name>",
// under the top-level key InputBindingKey, encrypted and covered by the MAC.
// The agent then accepts the file only in a secretGenerator that makes that
// Secret (or reads it as the values of that release). Kubernetes manifests
// are refused: Encrypt seals those.
func EncryptInput(name string, plaintext []byte, opts InputOptions) (out []byte, err error) {
	defer recoverInto(name, &err)
	if err := checkSize(name, plaintext); err != nil {
		return nil, err
	}
	kind := opts.Kind
	switch kind {
	case "", "Secret":
		kind = "Secret"
	case ReleaseKind:
	default:
		return nil, fileErr(name, ErrInvalidOptions, "a file can be bound to a Secret or a %s, not a %s", ReleaseKind, quoteKind(kind))
	}
	if !dnsLabelRe.MatchString(opts.Namespace) || !dnsSubdomainRe.MatchString(opts.Name) {
		if kind == ReleaseKind {
			return nil, fileErr(name, ErrInvalidOptions, "the release to bind to must be NAMESPACE/NAME with a valid namespace and release name")
		}
		return nil, fileErr(name, ErrInvalidOptions, "the Secret to bind to must be NAMESPACE/NAME with a valid namespace and name")
	}
	rs, err := parseRecipients(name, opts.Recipients)
	if err != nil {
		return nil, err
	}
	f := formatFor(name)
	store, branches, err := loadPlain(name, f, plaintext)
	if err != nil {
		return nil, err
	}
	branches = dropEmpty(branches)
	switch {
	case hasSopsKey(store, branches):
		return nil, fileErr(name, ErrAlreadyEncrypted, "it has SOPS metadata (a top-level sops entry); change it with `seal edit`")
	case len(branches) != 1:
		return nil, fileErr(name, ErrMalformed, "a generator input must hold exactly one document")
	}
	if kind, _ := docKind(branches[0]); kind != "" {
		return nil, fileErr(name, ErrInvalidOptions, "it is a Kubernetes manifest (kind %s), not a generator input; encrypt it without --bind-secret", quoteKind(kind))
	}
	if _, has := lookup(branches[0], InputBindingKey); has {
		return nil, fileErr(name, ErrMalformed, "it already has a top-level %s entry; remove it", InputBindingKey)
	}
	id := Identity(kind, opts.Namespace, opts.Name)
	branches[0] = append(branches[0], sops.TreeItem{Key: InputBindingKey, Value: id})
	return encryptNew(name, store, branches, rs, "")
}
