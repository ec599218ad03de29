package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// namespaceMap is seal promote's --namespace-map: source namespace to
// target namespace. Nothing is re-bound without it.
type namespaceMap map[string]string

// nsEdit is one namespace value to replace, at a byte range of the file.
type nsEdit struct {
	start, end int
	to         string
	line       int
}

// apply returns data with every mapped namespace replaced: the
// metadata.namespace of each object, and the namespace field of a
// kustomization. Only those bytes change, so comments, order and quoting
// stay as they are; count is how many values were replaced. data is
// plaintext only in memory: callers never write it to disk unencrypted.
func (m namespaceMap) apply(name string, data []byte) (out []byte, count int, err error) {
	if len(m) == 0 {
		return data, 0, nil
	}
	lines := lineStarts(data)
	var edits []nsEdit
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, 0, fmt.Errorf("%s: reading it to map namespaces: %w", name, err)
		}
		root := &n
		if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
			root = root.Content[0]
		}
		if root.Kind != yaml.MappingNode {
			continue
		}
		var targets []*yaml.Node
		if md := mappingValue(root, "metadata"); md != nil && md.Kind == yaml.MappingNode {
			targets = append(targets, mappingValue(md, "namespace"))
		}
		if isKustomization(name, root) {
			targets = append(targets, mappingValue(root, "namespace"))
		}
		for _, v := range targets {
			if v == nil || v.Kind != yaml.ScalarNode {
				continue
			}
			to, ok := m[v.Value]
			if !ok {
				continue
			}
			e, err := scalarRange(data, lines, v)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: document %d, line %d: namespace %q: %w", name, doc, v.Line, v.Value, err)
			}
			e.to = to
			edits = append(edits, e)
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	out = slices.Clone(data)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		out = slices.Concat(out[:e.start], []byte(e.to), out[e.end:])
	}
	return out, len(edits), nil
}

// isKustomization reports whether a document is a kustomization: its kind
// says so, or it has none and the file has a kustomization's name.
func isKustomization(name string, root *yaml.Node) bool {
	if k := mappingValue(root, "kind"); k != nil {
		return k.Value == "Kustomization" && strings.HasPrefix(scalarOr(mappingValue(root, "apiVersion")), "kustomize.config.k8s.io/")
	}
	switch path.Base(strings.ReplaceAll(name, "\\", "/")) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

func scalarOr(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// mappingValue is the value of key in a mapping node, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// lineStarts is the byte offset of each line's start.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// scalarRange finds the bytes of a scalar node: its value as written, bare
// or in single or double quotes with nothing escaped (namespaces are DNS
// labels, so that is all a real one needs).
func scalarRange(data []byte, lines []int, v *yaml.Node) (nsEdit, error) {
	if v.Line < 1 || v.Line > len(lines) || v.Column < 1 {
		return nsEdit{}, fmt.Errorf("no position to replace it at")
	}
	start := lines[v.Line-1]
	for col := 1; col < v.Column && start < len(data); col++ { // yaml columns count characters
		_, size := utf8.DecodeRune(data[start:])
		start += size
	}
	want := v.Value
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		want = `"` + v.Value + `"`
	case yaml.SingleQuotedStyle:
		want = "'" + v.Value + "'"
	case 0:
	default:
		return nsEdit{}, fmt.Errorf("written in a block or flow style seal cannot rewrite; write it as a plain value")
	}
	if !bytes.HasPrefix(data[start:], []byte(want)) {
		return nsEdit{}, fmt.Errorf("written with escapes seal cannot rewrite; write it as a plain value")
	}
	if v.Style != 0 {
		start++ // inside the quotes
	}
	return nsEdit{start: start, end: start + len(v.Value), line: v.Line}, nil
}

// parseNamespaceMap checks --namespace-map: each side a namespace name.
func parseNamespaceMap(in map[string]string) (namespaceMap, error) {
	out := namespaceMap{}
	for from, to := range in {
		for _, ns := range []string{from, to} {
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				return nil, usagef("--namespace-map %s=%s: %q is not a namespace name: %s", from, to, ns, strings.Join(errs, "; "))
			}
		}
		out[from] = to
	}
	return out, nil
}
