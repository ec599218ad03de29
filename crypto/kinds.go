package crypto

import (
	"github.com/getsops/sops/v3"
)

// docKind returns a document's kind and whether the document holds anything
// at all (comments do not count).
func docKind(b sops.TreeBranch) (kind string, empty bool) {
	empty = true
	for _, item := range b {
		if _, ok := item.Key.(sops.Comment); ok {
			continue
		}
		empty = false
		if item.Key == "kind" {
			kind, _ = item.Value.(string)
		}
	}
	return kind, empty
}

// allSecrets reports whether every non-empty document is a Secret and there
// is at least one.
func allSecrets(branches sops.TreeBranches) bool {
	n := 0
	for _, b := range branches {
		kind, empty := docKind(b)
		if empty {
			continue
		}
		if kind != "Secret" {
			return false
		}
		n++
	}
	return n > 0
}

// checkKinds requires a file to hold Secrets and nothing else (empty
// documents aside).
func checkKinds(name string, branches sops.TreeBranches) error {
	secrets, other, otherDoc, otherKind := 0, 0, 0, ""
	for i, b := range branches {
		kind, empty := docKind(b)
		switch {
		case empty:
		case kind == "Secret":
			secrets++
		default:
			if other == 0 {
				otherDoc, otherKind = i, kind
			}
			other++
		}
	}
	if secrets == 0 {
		return fileErr(name, ErrNotSecret, "no document has kind: Secret; only Secret manifests are encrypted")
	}
	if other > 0 {
		if otherKind == "" {
			otherKind = "document without a kind"
		}
		return fileErr(name, ErrMixedKinds, "document %d is a %s, not a Secret; keep Secrets in their own files, so that everything else stays readable", otherDoc+1, quoteKind(otherKind))
	}
	return nil
}

// quoteKind keeps a kind printable in a message (kinds are not secret, but
// they are input).
func quoteKind(k string) string {
	if len(k) > 63 {
		return "(kind too long to show)"
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '-' || r == '.') {
			return "(kind with unusual characters)"
		}
	}
	return k
}

// dropEmpty removes documents without any key (a trailing "---" makes one):
// sops would give each its own copy of the metadata, and it would decrypt to
// an empty object.
func dropEmpty(branches sops.TreeBranches) sops.TreeBranches {
	out := branches[:0:0]
	for _, b := range branches {
		if _, empty := docKind(b); !empty {
			out = append(out, b)
		}
	}
	return out
}
