package crypto

import (
	"slices"

	"github.com/getsops/sops/v3"
)

// setNamespaces gives every Secret document ns when it has no namespace,
// and refuses one with another namespace, and, with require, one without a
// namespace when ns is "".
func setNamespaces(name string, branches sops.TreeBranches, ns string, require bool) error {
	for i, b := range branches {
		if kind, _ := docKind(b); kind != "Secret" {
			continue
		}
		have := ""
		md, _ := lookup(b, "metadata")
		if m, ok := md.(sops.TreeBranch); ok {
			if v, ok := lookup(m, "namespace"); ok {
				have, _ = v.(string)
			}
		}
		switch {
		case have != "" && ns != "" && have != ns:
			return fileErr(name, ErrNoNamespace, "document %d is in namespace %s, not %s as asked", i+1, showPart(have), showPart(ns))
		case have != "":
			continue
		case ns == "" && require:
			return fileErr(name, ErrNoNamespace, "document %d has no metadata.namespace, so its value could be applied in any namespace; add the namespace the Secret belongs in, or give it with --namespace", i+1)
		case ns == "":
			continue
		}
		nb, err := withNamespace(b, ns)
		if err != nil {
			return fileErr(name, ErrMalformed, "document %d: its %s", i+1, err.Error())
		}
		branches[i] = nb
	}
	return nil
}

// withNamespace returns b with metadata.namespace set to ns, right after
// metadata.name when there is one. The branches it changes are copied,
// since YAML aliases may share them.
func withNamespace(b sops.TreeBranch, ns string) (sops.TreeBranch, error) {
	item := sops.TreeItem{Key: "namespace", Value: ns}
	mi := indexOf(b, "metadata")
	if mi < 0 {
		return append(slices.Clone(b), sops.TreeItem{Key: "metadata", Value: sops.TreeBranch{item}}), nil
	}
	md, ok := b[mi].Value.(sops.TreeBranch)
	if !ok && b[mi].Value != nil {
		return nil, errMetadataNotMapping
	}
	md = slices.Clone(md)
	if ni := indexOf(md, "namespace"); ni >= 0 {
		md[ni].Value = ns
	} else {
		md = slices.Insert(md, indexOf(md, "name")+1, item)
	}
	b = slices.Clone(b)
	b[mi].Value = md
	return b, nil
}

// showPart shows a namespace in a message when it looks like one.
func showPart(s string) string {
	if nameRe.MatchString(s) {
		return s
	}
	return "(unusual namespace)"
}
