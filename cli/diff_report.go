package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/seal-gitops/seal/crypto"
)

// reportSealedChange writes what changed between two versions of a
// sealed file (either may be nil: added or deleted): recipients, the
// documents, and per value added, removed, changed or only re-encrypted.
// Values are named by path only.
func reportSealedChange(w io.Writer, name string, old, cur *sealedFile) {
	switch {
	case old == nil && cur == nil:
		return
	case old == nil:
		fmt.Fprintf(w, "%s: new sealed file, for %s\n", name, recipientList(cur.Recipients))
		old = &sealedFile{}
	case cur == nil:
		fmt.Fprintf(w, "%s: sealed file deleted\n", name)
		cur = &sealedFile{}
	default:
		fmt.Fprintf(w, "%s\n", name)
		added, removed := setDiff(old.Recipients, cur.Recipients)
		for _, r := range added {
			fmt.Fprintf(w, "  recipient added    %s\n", r)
		}
		for _, r := range removed {
			fmt.Fprintf(w, "  recipient removed  %s\n", r)
		}
	}
	opened := old.Opened && cur.Opened
	oldDocs := map[string]*sealedDoc{}
	for _, d := range old.Docs {
		oldDocs[d.ID] = d
	}
	valuesChanged, valueChanged := false, false
	for _, d := range cur.Docs {
		o := oldDocs[d.ID]
		delete(oldDocs, d.ID)
		if o == nil {
			o = &sealedDoc{}
			if len(old.Docs) > 0 {
				fmt.Fprintf(w, "  %s: added\n", d.ID)
			}
		}
		ciphertext, value := reportDoc(w, o, d, opened)
		valuesChanged = valuesChanged || ciphertext
		valueChanged = valueChanged || value
	}
	for _, d := range old.Docs {
		if oldDocs[d.ID] != nil {
			fmt.Fprintf(w, "  %s: removed\n", d.ID)
		}
	}
	switch {
	case len(old.Docs) == 0 || len(cur.Docs) == 0:
	case !valuesChanged && !slices.Equal(old.Recipients, cur.Recipients):
		fmt.Fprintf(w, "  only re-wrapped for new recipients: every value kept its ciphertext\n")
	case !valuesChanged:
		fmt.Fprintf(w, "  no sealed value changed\n")
	case !opened:
		fmt.Fprintf(w, "  (no key here opens both versions: a changed ciphertext may still hold the same value)\n")
	case !valueChanged:
		fmt.Fprintf(w, "  only re-encrypted: no value changed\n")
	}
}

// reportDoc writes one document's changes; it says whether any value's
// ciphertext changed, and whether any value did (or may have: without a
// key, every new ciphertext counts).
func reportDoc(w io.Writer, o, d *sealedDoc, opened bool) (changed, valueChanged bool) {
	var lines []string
	for _, p := range sortedPaths(d.Values) {
		was, ok := o.Values[p]
		now := d.Values[p]
		switch {
		case now == notEncrypted && was != notEncrypted:
			lines = append(lines, "NOT ENCRYPTED "+p+" (encrypt it before you commit: seal encrypt -i FILE)")
			changed, valueChanged = true, true
		case !ok:
			lines = append(lines, "added         "+p)
			changed, valueChanged = true, true
		case was == now:
		case opened && o.Digests[p] == d.Digests[p]:
			lines = append(lines, "re-encrypted  "+p+" (same value)")
			changed = true
		case opened:
			lines = append(lines, "changed       "+p)
			changed, valueChanged = true, true
		default:
			lines = append(lines, "changed       "+p+" (ciphertext)")
			changed, valueChanged = true, true
		}
	}
	for _, p := range sortedPaths(o.Values) {
		if _, ok := d.Values[p]; !ok {
			lines = append(lines, "removed       "+p)
			changed, valueChanged = true, true
		}
	}
	binding := "no " + crypto.BindingAnnotation + " (not bound: sealed by the sops CLI?)"
	switch {
	case d.BindingClear != "":
		binding = "sealed for " + d.BindingClear
	case d.Binding != "":
		binding = "bound by an encrypted " + crypto.BindingAnnotation
	}
	if o.Binding != "" && d.Binding != o.Binding {
		binding += ", re-sealed"
		if o.BindingClear != "" && o.BindingClear != d.BindingClear {
			binding += " (was " + o.BindingClear + ")"
		}
	}
	if len(lines) == 0 && o.Binding == d.Binding && o.Values != nil {
		return false, false
	}
	fmt.Fprintf(w, "  %s, %s\n", d.ID, binding)
	for _, l := range lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
	return changed, valueChanged
}

// setDiff returns what b adds to a and what it drops, in their order.
func setDiff(a, b []string) (added, removed []string) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}

func recipientList(rs []string) string {
	if len(rs) == 1 {
		return "1 recipient " + rs[0]
	}
	return fmt.Sprintf("%d recipients", len(rs))
}
