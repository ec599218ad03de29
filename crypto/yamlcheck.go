package crypto

import (
	"go.yaml.in/yaml/v3"
)

// Limits on what a file may hold, beyond MaxFileSize: the sops stores build
// a tree of every value (aliases expanded, as the store copies the anchored
// value at every alias), and an 8 MiB file of tiny values or an alias bomb
// would otherwise cost gigabytes. Real manifests stay far below both.
const (
	maxDocuments = 10_000
	maxNodes     = 500_000 // keys and values, aliases expanded
	maxDepth     = 10_000
)

// nodeChecker walks the documents of a file for what would make the sops
// store or its users stumble: documents that are not mappings, duplicate
// keys, an alias inside its own anchor (the store would recurse forever),
// too many values, and deep nesting.
type nodeChecker struct {
	name   string
	total  int                 // nodes so far in the file, aliases expanded
	sizes  map[*yaml.Node]int  // expanded size of anchored nodes
	active map[*yaml.Node]bool // anchored nodes being walked
}

// document requires a document to be a mapping (or empty) and checks its
// nodes.
func (c *nodeChecker) document(index int, doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fileErr(c.name, ErrMalformed, "document %d (line %d) is not a mapping of keys to values; a Kubernetes manifest starts with apiVersion and kind", index+1, root.Line)
	}
	_, err := c.size(root, 0)
	return err
}

// size returns the number of nodes n stands for once aliases are expanded,
// adding them to the file's total.
func (c *nodeChecker) size(n *yaml.Node, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fileErr(c.name, ErrMalformed, "nesting deeper than %d levels at line %d", maxDepth, n.Line)
	}
	if n.Anchor != "" {
		if s, ok := c.sizes[n]; ok {
			return s, c.add(s, n)
		}
		if c.active[n] {
			return 0, fileErr(c.name, ErrMalformed, "line %d: an alias refers to the value that contains it", n.Line)
		}
		if c.active == nil {
			c.active, c.sizes = make(map[*yaml.Node]bool), make(map[*yaml.Node]int)
		}
		c.active[n] = true
		defer delete(c.active, n)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 0, fileErr(c.name, ErrMalformed, "line %d: an alias refers to no anchor", n.Line)
		}
		s, err := c.size(n.Alias, depth+1)
		return s + 1, err
	}
	if err := c.add(1, n); err != nil {
		return 0, err
	}
	if n.Kind == yaml.MappingNode {
		if err := c.duplicates(n); err != nil {
			return 0, err
		}
	}
	total := 1
	for _, child := range n.Content {
		s, err := c.size(child, depth+1)
		if err != nil {
			return 0, err
		}
		total += s
	}
	if n.Anchor != "" {
		c.sizes[n] = total
	}
	return total, nil
}

// add counts nodes against the file's limit.
func (c *nodeChecker) add(nodes int, at *yaml.Node) error {
	if c.total += nodes; c.total > maxNodes {
		return fileErr(c.name, ErrTooLarge, "more than %d keys and values (aliases expanded) by line %d; split the file, or write repeated values out", maxNodes, at.Line)
	}
	return nil
}

func (c *nodeChecker) duplicates(n *yaml.Node) error {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, ok := seen[k.Value]; ok {
			return fileErr(c.name, ErrMalformed, "line %d: duplicate key (first defined at line %d); remove one of them", k.Line, first)
		}
		seen[k.Value] = k.Line
	}
	return nil
}
