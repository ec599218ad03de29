package crypto

import (
	"slices"
	"strconv"

	"github.com/getsops/sops/v3"
	"go.yaml.in/yaml/v3"
)

// Finding is a value that should be encrypted but is not. It never holds
// the value.
type Finding struct {
	Line     int    // 1-based line in the file
	Document int    // 0-based YAML document index
	Path     string // e.g. "stringData.password"
	Problem  string // e.g. "plaintext value"
}

// Problems FindPlaintext reports.
const (
	ProblemPlaintext    = "plaintext value"
	ProblemNotEncrypted = "value not encrypted although the file's encryption rules cover it"
	// ProblemBindingNotEncrypted: an encrypted file's BindingAnnotation is
	// in plaintext (or empty) where its rules do not encrypt it; Decrypt
	// refuses the file.
	ProblemBindingNotEncrypted = "seal.dev/sealed-for annotation not encrypted, so Decrypt refuses the file"
)

// FindPlaintext lists values in Secret documents that should be encrypted
// but are not: every non-empty value under data or stringData of an
// unencrypted Secret; in an encrypted file, every value its rules
// (encrypted_regex and the like) cover that is not an ENC[…] string, and
// a BindingAnnotation that is not one (whatever the rules). Files using
// comment-based rules (encrypted_comment_regex) are not otherwise judged.
// dotenv files hold no Secrets and yield no findings.
func FindPlaintext(name string, data []byte) (fs []Finding, err error) {
	defer recoverInto(name, &err)
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	f := formatFor(name)
	switch f {
	case formatDotenv:
		return nil, nil
	case formatJSON:
		if err := checkJSON(name, data); err != nil {
			return nil, err
		}
	}
	docs, err := parseYAML(name, data) // JSON is YAML too, with the same lines
	if err != nil {
		return nil, err
	}
	r, encrypted, err := fileRules(name, docs)
	if err != nil {
		return nil, err
	}
	for i, doc := range docs {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		if encrypted {
			var docFs []Finding
			if !r.byComment {
				docFs = findUnencrypted(i, root, r)
			}
			if f, ok := plainBinding(i, root, r); ok {
				docFs = append(docFs, f)
				slices.SortStableFunc(docFs, func(a, b Finding) int { return a.Line - b.Line })
			}
			fs = append(fs, docFs...)
			continue
		}
		if scalarAt(root, "kind") != "Secret" {
			continue
		}
		for j := 0; j+1 < len(root.Content); j += 2 {
			if k := root.Content[j].Value; k == "data" || k == "stringData" {
				walkNodes(root.Content[j+1], []string{k}, k, func(n *yaml.Node, _ []string, display string) {
					if !isEmptyScalar(n) {
						fs = append(fs, Finding{Line: n.Line, Document: i, Path: display, Problem: ProblemPlaintext})
					}
				})
			}
		}
	}
	return fs, nil
}

// findUnencrypted reports the values of an encrypted document that the
// rules cover but that are not in the encrypted format.
func findUnencrypted(doc int, root *yaml.Node, r rules) []Finding {
	var fs []Finding
	for j := 0; j+1 < len(root.Content); j += 2 {
		k := root.Content[j].Value
		if k == "sops" {
			continue
		}
		walkNodes(root.Content[j+1], []string{k}, k, func(n *yaml.Node, path []string, display string) {
			if !r.encrypted(path) || isEmptyScalar(n) {
				return
			}
			if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && encValueRe.MatchString(n.Value) {
				return
			}
			fs = append(fs, Finding{Line: n.Line, Document: doc, Path: display, Problem: ProblemNotEncrypted})
		})
	}
	return fs
}

// plainBinding reports an encrypted document's BindingAnnotation when it is
// not an ENC[…] string and findUnencrypted has not reported it already.
func plainBinding(doc int, root *yaml.Node, r rules) (Finding, bool) {
	n := root
	for _, k := range bindingPath {
		if n = nodeAt(n, k); n == nil {
			return Finding{}, false
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && encValueRe.MatchString(n.Value) {
		return Finding{}, false
	}
	if !r.byComment && r.encrypted(bindingPath) && !isEmptyScalar(n) {
		return Finding{}, false // a plaintext value its rules cover: reported
	}
	return Finding{Line: n.Line, Document: doc, Path: bindingDisplay, Problem: ProblemBindingNotEncrypted}, true
}

// nodeAt returns the value of key in a mapping node (aliases followed), or
// nil.
func nodeAt(m *yaml.Node, key string) *yaml.Node {
	if m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key {
			v := m.Content[j+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// fileRules reads the encryption rules from the first document carrying
// SOPS metadata; encrypted is false when none does.
func fileRules(name string, docs []*yaml.Node) (r rules, encrypted bool, err error) {
	for _, doc := range docs {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		for j := 0; j+1 < len(root.Content); j += 2 {
			if root.Content[j].Value != "sops" || root.Content[j+1].Kind != yaml.MappingNode {
				continue
			}
			md := root.Content[j+1]
			m := sops.Metadata{
				UnencryptedSuffix:       scalarAt(md, "unencrypted_suffix"),
				EncryptedSuffix:         scalarAt(md, "encrypted_suffix"),
				UnencryptedRegex:        scalarAt(md, "unencrypted_regex"),
				EncryptedRegex:          scalarAt(md, "encrypted_regex"),
				UnencryptedCommentRegex: scalarAt(md, "unencrypted_comment_regex"),
				EncryptedCommentRegex:   scalarAt(md, "encrypted_comment_regex"),
			}
			if m.UnencryptedSuffix == "" && m.EncryptedSuffix == "" && m.UnencryptedRegex == "" &&
				m.EncryptedRegex == "" && m.UnencryptedCommentRegex == "" && m.EncryptedCommentRegex == "" {
				m.UnencryptedSuffix = sops.DefaultUnencryptedSuffix
			}
			r, err := rulesFrom(name, &m)
			return r, true, err
		}
	}
	return rules{}, false, nil
}

// docRoot returns a document's top-level mapping, or nil.
func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		return doc.Content[0]
	}
	return nil
}

// scalarAt returns the scalar value of key in a mapping node, or "".
func scalarAt(m *yaml.Node, key string) string {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key && m.Content[j+1].Kind == yaml.ScalarNode {
			return m.Content[j+1].Value
		}
	}
	return ""
}

func isEmptyScalar(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!null" || n.Value == "" && n.ShortTag() == "!!str")
}

// walkNodes calls fn for every scalar under n, with the sops path (mapping
// keys only) and a display path with sequence indices. Aliases are followed;
// parseYAML has ruled out cycles and alias bombs.
func walkNodes(n *yaml.Node, path []string, display string, fn func(*yaml.Node, []string, string)) {
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			walkNodes(n.Alias, path, display, fn)
		}
	case yaml.MappingNode:
		for j := 0; j+1 < len(n.Content); j += 2 {
			k := n.Content[j].Value
			walkNodes(n.Content[j+1], append(path[:len(path):len(path)], k), display+"."+k, fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkNodes(c, path, display+"["+strconv.Itoa(i)+"]", fn)
		}
	case yaml.ScalarNode:
		fn(n, path, display)
	}
}
