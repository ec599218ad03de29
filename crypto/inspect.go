package crypto

import (
	"time"

	"github.com/getsops/sops/v3"
)

// Metadata describes an encrypted file, read without any key.
type Metadata struct {
	// Recipients are the age recipients the data key is wrapped for, as
	// written in the file (in every key group).
	Recipients []string
	// OtherKeys names the master keys that are not age keys, by type
	// ("pgp", "kms", …); seal cannot use them.
	OtherKeys      []string
	HasMAC         bool
	EncryptedRegex string
	Version        string
	LastModified   time.Time
	// KeyGroups is the number of key groups; more than one means the data
	// key is split with Shamir's scheme, ShamirThreshold groups needed.
	KeyGroups       int
	ShamirThreshold int
	// MACOnlyEncrypted is set when the MAC covers only encrypted values;
	// Decrypt refuses such files.
	MACOnlyEncrypted bool
	// Unbound lists the 0-based indexes of the documents that may be
	// Secrets (kind Secret, or a kind that is encrypted) and carry no
	// encrypted BindingAnnotation. Read without a key, it is a hint for
	// reports; Decrypt checks the bindings and says which Secrets have none.
	Unbound []int
	// UnboundInput is set for a file that holds no Kubernetes manifest (a
	// generator input or Helm values file) and carries no top-level
	// InputBindingKey: the agent refuses its values until it is bound.
	UnboundInput bool
}

// Inspect reads an encrypted file's SOPS metadata; no keys needed, nothing
// decrypted, the MAC not verified.
func Inspect(name string, data []byte) (m *Metadata, err error) {
	defer recoverInto(name, &err)
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	_, tree, err := loadEncrypted(name, formatFor(name), data)
	if err != nil {
		return nil, err
	}
	md := tree.Metadata
	m = &Metadata{
		HasMAC:           md.MessageAuthenticationCode != "",
		EncryptedRegex:   md.EncryptedRegex,
		Version:          md.Version,
		LastModified:     md.LastModified,
		KeyGroups:        len(md.KeyGroups),
		MACOnlyEncrypted: md.MACOnlyEncrypted,
	}
	if len(md.KeyGroups) > 1 {
		m.ShamirThreshold = md.ShamirThreshold
		if m.ShamirThreshold <= 0 {
			m.ShamirThreshold = len(md.KeyGroups)
		}
	}
	if formatFor(name) != formatDotenv {
		m.Unbound = unboundHint(tree.Branches)
	}
	m.UnboundInput = !isManifest(tree.Branches) && !inputState(tree.Branches, rules{}).present
	for _, g := range md.KeyGroups {
		for _, k := range ageKeys(g) {
			m.Recipients = append(m.Recipients, k.Recipient)
		}
		m.OtherKeys = append(m.OtherKeys, otherKeys(g)...)
	}
	return m, nil
}

// unboundHint lists the documents of an encrypted tree that may be Secrets
// and carry no encrypted binding.
func unboundHint(branches sops.TreeBranches) []int {
	var out []int
	for i, b := range branches {
		kind, _ := lookup(b, "kind")
		k, _ := kind.(string)
		if k != "Secret" && !encValueRe.MatchString(k) {
			continue
		}
		v, _ := bindingValue(b)
		if s, ok := v.(string); !ok || !encValueRe.MatchString(s) {
			out = append(out, i)
		}
	}
	return out
}

// isManifest reports whether the first document of a tree is a Kubernetes
// object (it has apiVersion and kind).
func isManifest(branches sops.TreeBranches) bool {
	if len(branches) == 0 {
		return false
	}
	_, v := lookup(branches[0], "apiVersion")
	_, k := lookup(branches[0], "kind")
	return v && k
}
