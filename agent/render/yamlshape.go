package render

import (
	"bytes"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// kyaml (kustomize's YAML layer, built on the same yaml/v3 parser) is
// defenceless against some shapes of YAML. It follows aliases without a cycle
// check: an anchor containing an alias to itself overflows the goroutine
// stack, a fatal error no recover() can catch, and a "billion laughs" file
// makes it walk billions of nodes. Its transformers also take time quadratic
// in nesting depth: a 36 KB file nested 9,000 levels deep takes 40 seconds.
// checkYAMLShape refuses these shapes before kustomize sees a file.

const (
	// maxAliasExpansion is how many nodes aliases may add on top of the
	// nodes a document really holds.
	maxAliasExpansion = 1_000_000
	// maxDepth is the deepest nesting kustomize is given. Real manifests,
	// CRD schemas included, stay well under 100 levels.
	maxDepth = 200
)

var (
	errAliases = errors.New("recursive or excessive YAML aliases")
	errDepth   = fmt.Errorf("YAML nested more than %d levels deep", maxDepth)
)

// checkYAMLShape returns an error naming the file and document when a
// document's aliases are recursive or expand too far, or when it nests too
// deep. Input that does not parse is left to kustomize, which reports it.
func checkYAMLShape(name string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return nil // the end, or not YAML: kustomize has its say
		}
		w := shapeWalk{seen: make(map[*yaml.Node]shape), open: make(map[*yaml.Node]bool)}
		s, err := w.walk(&n)
		if err == nil && s.size-w.real > maxAliasExpansion {
			err = errAliases
		}
		if err != nil {
			return fmt.Errorf("%s: document %d: %w: %w", name, doc, ErrInvalidManifest, err)
		}
	}
}

type shape struct{ size, height int }

type shapeWalk struct {
	seen map[*yaml.Node]shape // nodes already measured
	open map[*yaml.Node]bool  // nodes on the current path, to spot cycles
	real int                  // nodes actually present
}

// walk measures how many nodes n expands to and how deep it nests.
func (w *shapeWalk) walk(n *yaml.Node) (shape, error) {
	if s, ok := w.seen[n]; ok {
		return s, nil
	}
	if w.open[n] || (n.Kind == yaml.AliasNode && n.Alias == nil) {
		return shape{}, errAliases
	}
	w.open[n] = true
	defer delete(w.open, n)
	s := shape{size: 1, height: 1}
	children := n.Content
	if n.Kind == yaml.AliasNode {
		children = []*yaml.Node{n.Alias}
	} else {
		w.real++
	}
	for _, c := range children {
		cs, err := w.walk(c)
		if err != nil {
			return shape{}, err
		}
		s.size += cs.size
		s.height = max(s.height, cs.height+1)
		if s.size-w.real > maxAliasExpansion {
			return shape{}, errAliases
		}
		if s.height > maxDepth {
			return shape{}, errDepth
		}
	}
	w.seen[n] = s
	return s, nil
}
