package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// kyaml (kustomize's YAML layer, built on the same yaml/v3 parser) follows
// aliases without a cycle check: an anchor that contains an alias to itself
// overflows the goroutine stack, a fatal error no recover() can catch, and a
// "billion laughs" file makes it walk billions of nodes. checkAliases refuses
// both before kustomize sees the file.

// maxAliasExpansion is how many nodes aliases may add on top of the nodes a
// file really holds.
const maxAliasExpansion = 1_000_000

var errAliases = errors.New("recursive or excessive YAML aliases")

// checkAliases returns an error naming the file and document when a
// document's aliases are recursive or expand too far. Input that does not
// parse is left to kustomize, which will report it.
func checkAliases(name string, data []byte) error {
	if !bytes.Contains(data, []byte("*")) {
		return nil // no alias without '*'
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return nil
		}
		w := aliasWalk{size: make(map[*yaml.Node]int), open: make(map[*yaml.Node]bool)}
		total, ok := w.count(&n)
		if !ok || total-w.real > maxAliasExpansion {
			return fmt.Errorf("%s: document %d: %w: %w", name, doc, ErrInvalidManifest, errAliases)
		}
	}
}

type aliasWalk struct {
	size map[*yaml.Node]int  // expanded size of nodes already counted
	open map[*yaml.Node]bool // nodes on the current path, to spot cycles
	real int                 // nodes actually present
}

// count returns the number of nodes n expands to, and false on a cycle or
// when the expansion passes the cap.
func (w *aliasWalk) count(n *yaml.Node) (int, bool) {
	if s, ok := w.size[n]; ok {
		return s, true
	}
	if w.open[n] {
		return 0, false
	}
	w.open[n] = true
	defer delete(w.open, n)
	total := 1
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 0, false
		}
		s, ok := w.count(n.Alias)
		if !ok {
			return 0, false
		}
		total += s
	} else {
		w.real++
		for _, c := range n.Content {
			s, ok := w.count(c)
			if !ok {
				return 0, false
			}
			total += s
			if total-w.real > maxAliasExpansion {
				return 0, false
			}
		}
	}
	w.size[n] = total
	return total, true
}
