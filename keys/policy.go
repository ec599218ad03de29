package keys

import (
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// PolicyKey is the name of the top-level section of .sops.yaml that holds
// seal's own settings. sops decodes .sops.yaml without strict field checks,
// so it ignores the section (TestSopsIgnoresSealSection holds it to that).
const PolicyKey = "seal"

// Policy is the key policy of a .sops.yaml, from its seal section:
//
//	seal:
//	  policy:
//	    require:            # every encrypted file must be wrapped for these
//	      - age1…           #   (a break-glass key held offline, say)
//	    forbid:             # no encrypted file may be wrapped for these
//	      - sha256:0123…    #   (a recipient, or its fingerprint)
//
// The zero Policy requires and forbids nothing.
type Policy struct {
	Require []PolicyEntry
	Forbid  []PolicyEntry
}

// PolicyEntry is one recipient (or recipient fingerprint) a policy names.
type PolicyEntry struct {
	Key  string // an age recipient, or "sha256:" and 16 hex digits
	Line int    // line in .sops.yaml, for messages
}

// Matches reports whether recipient is the entry's recipient or has its
// fingerprint.
func (e PolicyEntry) Matches(recipient string) bool {
	r := strings.TrimSpace(recipient)
	if strings.HasPrefix(e.Key, "sha256:") {
		return Fingerprint(r) == e.Key
	}
	return strings.EqualFold(r, e.Key)
}

// Short names the entry for humans: a long recipient is abbreviated.
func (e PolicyEntry) Short() string {
	if strings.HasPrefix(e.Key, "sha256:") {
		return e.Key
	}
	return Short(e.Key)
}

// Empty reports whether the policy requires and forbids nothing.
func (p *Policy) Empty() bool { return p == nil || len(p.Require)+len(p.Forbid) == 0 }

// Violations says how a list of recipients breaks the policy: the required
// entries none of them matches, and the recipients a forbid entry matches
// (each with the entry).
func (p *Policy) Violations(recipients []string) (missing []PolicyEntry, forbidden []ForbiddenRecipient) {
	if p == nil {
		return nil, nil
	}
	for _, e := range p.Require {
		found := false
		for _, r := range recipients {
			if e.Matches(r) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, e)
		}
	}
	for _, r := range recipients {
		for _, e := range p.Forbid {
			if e.Matches(r) {
				forbidden = append(forbidden, ForbiddenRecipient{Recipient: r, Entry: e})
				break
			}
		}
	}
	return missing, forbidden
}

// ForbiddenRecipient is a recipient a forbid entry matches.
type ForbiddenRecipient struct {
	Recipient string
	Entry     PolicyEntry
}

// RuleViolation is a policy breach in a creation rule itself: files
// encrypted by that rule would break the policy.
type RuleViolation struct {
	Rule      Rule
	Missing   []PolicyEntry
	Forbidden []ForbiddenRecipient
}

// RuleViolations checks every creation rule with age recipients against
// the policy.
func (c *Config) RuleViolations() []RuleViolation {
	var out []RuleViolation
	for _, r := range c.rules {
		if r.useErr != nil || len(r.Recipients) == 0 {
			continue // reported as invalid or unmanaged where used
		}
		missing, forbidden := c.Policy.Violations(r.Recipients)
		if len(missing)+len(forbidden) > 0 {
			out = append(out, RuleViolation{Rule: r.Rule, Missing: missing, Forbidden: forbidden})
		}
	}
	return out
}

var fingerprintRe = regexp.MustCompile(`^sha256:[0-9a-f]{16}$`)

// parsePolicy reads the seal section of a .sops.yaml document. An unknown
// field or a malformed entry is an error (wrapping ErrInvalidConfig) that
// names its line: a typo in a security policy must not pass silently.
func parsePolicy(path string, doc *yaml.Node) (Policy, error) {
	var p Policy
	sec := mappingValue(documentRoot(doc), PolicyKey)
	if sec == nil || (sec.Kind == yaml.ScalarNode && sec.Tag == "!!null") {
		return p, nil
	}
	bad := func(n *yaml.Node, format string, args ...any) (Policy, error) {
		return Policy{}, fmt.Errorf("%s: %w: line %d: %s", path, ErrInvalidConfig, n.Line, fmt.Sprintf(format, args...))
	}
	if sec.Kind != yaml.MappingNode {
		return bad(sec, "the %s section must be a mapping with a policy field", PolicyKey)
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		if k := sec.Content[i]; k.Value != "policy" {
			return bad(k, "unknown field %s.%s; the section knows policy", PolicyKey, k.Value)
		}
	}
	pol := mappingValue(sec, "policy")
	if pol == nil || (pol.Kind == yaml.ScalarNode && pol.Tag == "!!null") {
		return p, nil
	}
	if pol.Kind != yaml.MappingNode {
		return bad(pol, "%s.policy must be a mapping with require and forbid lists", PolicyKey)
	}
	for i := 0; i+1 < len(pol.Content); i += 2 {
		k, v := pol.Content[i], pol.Content[i+1]
		var dst *[]PolicyEntry
		switch k.Value {
		case "require":
			dst = &p.Require
		case "forbid":
			dst = &p.Forbid
		default:
			return bad(k, "unknown field %s.policy.%s; use require or forbid", PolicyKey, k.Value)
		}
		entries, err := policyEntries(v)
		if err != nil {
			return bad(v, "%s.policy.%s: %v", PolicyKey, k.Value, err)
		}
		*dst = append(*dst, entries...)
	}
	for _, r := range p.Require {
		for _, f := range p.Forbid {
			if r.Key == f.Key || (f.Matches(r.Key) && !strings.HasPrefix(r.Key, "sha256:")) {
				return Policy{}, fmt.Errorf("%s: %w: line %d: %s is both required and forbidden", path, ErrInvalidConfig, f.Line, f.Short())
			}
		}
	}
	return p, nil
}

// policyEntries reads a list of recipients or fingerprints (a YAML list, or
// one comma-separated string, as sops' age field).
func policyEntries(n *yaml.Node) ([]PolicyEntry, error) {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		items = n.Content
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	default:
		return nil, fmt.Errorf("expected a list of recipients")
	}
	var out []PolicyEntry
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: expected a recipient, got a %s", it.Line, nodeKindName(it))
		}
		for part := range strings.SplitSeq(it.Value, ",") {
			s := strings.TrimSpace(part)
			if s == "" {
				continue
			}
			if fingerprintRe.MatchString(s) {
				out = append(out, PolicyEntry{Key: s, Line: it.Line})
				continue
			}
			if _, _, err := ParseRecipient(s); err != nil {
				return nil, err
			}
			out = append(out, PolicyEntry{Key: s, Line: it.Line})
		}
	}
	return out, nil
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}
