package crypto

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/getsops/sops/v3"
)

// BindingAnnotation is the annotation in which Encrypt seals each Secret
// document's identity, "<kind>/<namespace>/<name>" ("Secret//db" without a
// namespace), encrypted like the Secret's data. Its ciphertext is bound to
// its path (the AES-GCM additional data) and its plaintext to the MAC, so
// nobody without the data key can add, remove, move or change it; Decrypt
// compares it with the document's kind, namespace and name.
const BindingAnnotation = "seal.dev/sealed-for"

// BoundEncryptedRegex is the encrypted_regex Encrypt writes for the default
// rule: data, stringData and the binding annotation.
const BoundEncryptedRegex = `^(data|stringData|seal\.dev/sealed-for)$`

// bindingPath is the sops path of the binding (mapping keys from the root).
var bindingPath = []string{"metadata", "annotations", BindingAnnotation}

// bindingDisplay is the binding's path in messages and findings.
const bindingDisplay = "metadata.annotations." + BindingAnnotation

// simpleRegexRe matches an encrypted_regex that is a plain list of keys,
// "^key$" or "^(a|b)$" (letters, digits, "_", "-", and "\." for a dot), to
// which the binding key can be added readably.
var simpleRegexRe = regexp.MustCompile(`^\^(?:\(((?:[A-Za-z0-9_-]|\\\.)+(?:\|(?:[A-Za-z0-9_-]|\\\.)+)*)\)|((?:[A-Za-z0-9_-]|\\\.)+))\$$`)

// boundRegex returns an encrypted_regex that encrypts what re does and the
// binding annotation too: re itself when it already covers the binding's
// path, the key added to a simple list ("^(data|stringData)$" becomes
// BoundEncryptedRegex), and "(?:re)|^seal\.dev/sealed-for$" otherwise.
func boundRegex(re string) (string, bool) {
	if r, err := regexp.Compile(re); err != nil || (rules{encRe: r}).encrypted(bindingPath) {
		return re, err == nil
	}
	out := `(?:` + re + `)|^seal\.dev/sealed-for$`
	if m := simpleRegexRe.FindStringSubmatch(re); m != nil {
		out = `^(` + m[1] + m[2] + `|seal\.dev/sealed-for)$`
	}
	r, err := regexp.Compile(out)
	return out, err == nil && (rules{encRe: r}).encrypted(bindingPath)
}

// lookup returns the value of key in a branch (comments skipped).
func lookup(b sops.TreeBranch, key string) (any, bool) {
	if i := indexOf(b, key); i >= 0 {
		return b[i].Value, true
	}
	return nil, false
}

func indexOf(b sops.TreeBranch, key string) int {
	for i, item := range b {
		if k, ok := item.Key.(string); ok && k == key {
			return i
		}
	}
	return -1
}

// bindingValue returns a document's binding annotation, if it has one.
func bindingValue(b sops.TreeBranch) (any, bool) {
	md, _ := lookup(b, "metadata")
	m, ok := md.(sops.TreeBranch)
	if !ok {
		return nil, false
	}
	ann, _ := lookup(m, "annotations")
	a, ok := ann.(sops.TreeBranch)
	if !ok {
		return nil, false
	}
	return lookup(a, BindingAnnotation)
}

// identityOf returns a document's identity, "<kind>/<namespace>/<name>".
// Each part escapes "%" and "/" (so no two identities read alike). A part
// that is not a string becomes "%!map", "%!list" or "%!scalar", which no
// string escapes to: only the category, since the sops YAML store does not
// keep a number's type (1.0 comes back as 1), and Kubernetes refuses such
// an object anyway. An absent part and a null one are both "".
func identityOf(b sops.TreeBranch) string {
	kind, _ := lookup(b, "kind")
	var ns, name any
	if md, _ := lookup(b, "metadata"); md != nil {
		m, ok := md.(sops.TreeBranch)
		if !ok {
			return idPart(kind) + "/%!metadata/"
		}
		ns, _ = lookup(m, "namespace")
		name, _ = lookup(m, "name")
	}
	return idPart(kind) + "/" + idPart(ns) + "/" + idPart(name)
}

var idEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

func idPart(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return idEscaper.Replace(v)
	case sops.TreeBranch:
		return "%!map"
	case []any:
		return "%!list"
	}
	return "%!scalar"
}

// needsBinding reports whether a plaintext document gets a binding: every
// Secret, and any document that already carries one (so a stale one is
// replaced).
func needsBinding(b sops.TreeBranch) bool {
	kind, _ := docKind(b)
	_, has := bindingValue(b)
	return kind == "Secret" || has
}

// bind sets the binding annotation of every document that needs one to the
// document's identity, in place, and returns how many it set.
func bind(name string, branches sops.TreeBranches) (int, error) {
	n := 0
	for i, b := range branches {
		if !needsBinding(b) {
			continue
		}
		nb, err := withBinding(b, identityOf(b))
		if err != nil {
			return 0, fileErr(name, ErrMalformed, "document %d: its %s, so the Secret's identity cannot be sealed in an annotation", i+1, err.Error())
		}
		branches[i] = nb
		n++
	}
	return n, nil
}

var errMetadataNotMapping = errors.New("metadata is not a mapping")

// withBinding returns b with its binding annotation set to id: replaced
// where it is, or added after the other annotations (creating metadata and
// annotations as needed). The branches it changes are copied, since YAML
// aliases may share them.
func withBinding(b sops.TreeBranch, id string) (sops.TreeBranch, error) {
	ann := sops.TreeBranch{{Key: BindingAnnotation, Value: id}}
	mi := indexOf(b, "metadata")
	if mi < 0 {
		return append(slices.Clone(b), sops.TreeItem{Key: "metadata", Value: sops.TreeBranch{{Key: "annotations", Value: ann}}}), nil
	}
	md, ok := b[mi].Value.(sops.TreeBranch)
	if !ok && b[mi].Value != nil {
		return nil, errMetadataNotMapping
	}
	md = slices.Clone(md)
	if ai := indexOf(md, "annotations"); ai < 0 {
		md = append(md, sops.TreeItem{Key: "annotations", Value: ann})
	} else {
		a, ok := md[ai].Value.(sops.TreeBranch)
		if !ok && md[ai].Value != nil {
			return nil, fmt.Errorf("metadata.annotations is not a mapping")
		}
		a = slices.Clone(a)
		if bi := indexOf(a, BindingAnnotation); bi >= 0 {
			a[bi].Value = id
		} else {
			a = append(a, ann[0])
		}
		md[ai].Value = a
	}
	b = slices.Clone(b)
	b[mi].Value = md
	return b, nil
}

// unbind removes every binding annotation, for files whose rules cannot
// encrypt it (a plaintext one would make Decrypt refuse the file).
func unbind(branches sops.TreeBranches) {
	for i, b := range branches {
		if _, has := bindingValue(b); !has {
			continue
		}
		mi := indexOf(b, "metadata")
		md := slices.Clone(b[mi].Value.(sops.TreeBranch))
		ai := indexOf(md, "annotations")
		a := slices.Clone(md[ai].Value.(sops.TreeBranch))
		a = slices.Delete(a, indexOf(a, BindingAnnotation), indexOf(a, BindingAnnotation)+1)
		md[ai].Value = a
		b = slices.Clone(b)
		b[mi].Value = md
		branches[i] = b
	}
}

// bindingRegex returns the encrypted_regex a file needs so that its rules
// encrypt the binding: its own when they already do, its encrypted_regex
// extended when it has one. ok is false when the file's rules (a suffix,
// an unencrypted_regex, comment rules) cannot be made to encrypt it.
func bindingRegex(md *sops.Metadata) (re string, ok bool) {
	if md.EncryptedCommentRegex != "" || md.UnencryptedCommentRegex != "" {
		return "", false
	}
	r, err := rulesFrom("", md)
	if err != nil {
		return "", false
	}
	if r.encrypted(bindingPath) {
		return md.EncryptedRegex, true
	}
	if md.EncryptedRegex == "" {
		return "", false
	}
	return boundRegex(md.EncryptedRegex)
}
