package crypto

import (
	"go.yaml.in/yaml/v3"
)

// maxAliasExpansion caps how many nodes aliases may add when the sops store
// expands them (it copies the anchored value at every alias): an alias bomb
// would otherwise exhaust memory.
const maxAliasExpansion = 1_000_000

// nodeChecker walks a document for what would make the sops store or its
// users stumble: duplicate keys, an alias inside its own anchor (the store
// would recurse forever), alias bombs, and deep nesting.
type nodeChecker struct {
	name     string
	expanded int
	sizes    map[*yaml.Node]int  // expanded size of anchored nodes
	active   map[*yaml.Node]bool // anchored nodes being walked
}

// size returns the number of nodes n stands for once aliases are expanded.
func (c *nodeChecker) size(n *yaml.Node, depth int) (int, error) {
	if depth > 10000 {
		return 0, fileErr(c.name, ErrMalformed, "nesting deeper than 10000 levels at line %d", n.Line)
	}
	if n.Anchor != "" {
		if s, ok := c.sizes[n]; ok {
			return s, nil
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
	total := 1
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 0, fileErr(c.name, ErrMalformed, "line %d: an alias refers to no anchor", n.Line)
		}
		s, err := c.size(n.Alias, depth+1)
		if err != nil {
			return 0, err
		}
		if c.expanded += s; c.expanded > maxAliasExpansion {
			return 0, fileErr(c.name, ErrMalformed, "line %d: aliases expand to more than %d values; write the values out", n.Line, maxAliasExpansion)
		}
		return total + s, nil
	}
	if n.Kind == yaml.MappingNode {
		if err := c.duplicates(n); err != nil {
			return 0, err
		}
	}
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
