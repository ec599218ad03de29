package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/seal-gitops/seal/crypto"
)

// runTextconv prints one version of a file for git's line diff (the
// textconv of the diff driver seal git-setup configures). A file that is
// not sealed is printed as it is. A sealed one becomes one line per
// recipient and per value, each value shown by a fingerprint of its
// ciphertext, so git diff shows exactly which values and recipients
// changed. When a key opens it, each value also gets a keyed digest of
// its value: an equal digest beside a new ciphertext means the value was
// only re-encrypted. No value is printed.
func runTextconv(f *Factory, opts *diffOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	name := opts.Paths[0]
	data, err := os.ReadFile(wdPath(wd, name))
	if err != nil {
		return fmt.Errorf("seal diff --textconv: %w", err)
	}
	ring, err := diffRing(f, opts)
	if err != nil {
		return err
	}
	sf, err := loadSealedFile(name, data, ring)
	if err != nil {
		return err
	}
	if sf == nil {
		_, err := f.IO.Out.Write(data)
		return err
	}
	var b strings.Builder
	b.WriteString("# sealed with SOPS and age; each value is shown by a fingerprint of its ciphertext\n")
	if sf.Opened {
		b.WriteString("# and a digest of its value under your key: the same digest is the same value\n")
	}
	for _, r := range sf.Recipients {
		fmt.Fprintf(&b, "recipient %s\n", r)
	}
	for _, d := range sf.Docs {
		fmt.Fprintf(&b, "%s\n", d.ID)
		switch {
		case d.BindingClear != "":
			fmt.Fprintf(&b, "  %s: %s (sealed %s)\n", crypto.BindingAnnotation, d.BindingClear, d.Binding)
		case d.Binding != "":
			fmt.Fprintf(&b, "  %s: sealed %s\n", crypto.BindingAnnotation, d.Binding)
		default:
			fmt.Fprintf(&b, "  %s: none (not bound)\n", crypto.BindingAnnotation)
		}
		for _, p := range sortedPaths(d.Values) {
			v := d.Values[p]
			if v != notEncrypted {
				v = "sealed " + v
			}
			if dg, ok := d.Digests[p]; ok {
				v += ", value " + dg
			}
			fmt.Fprintf(&b, "  %s: %s\n", p, v)
		}
	}
	_, err = f.IO.Out.Write([]byte(b.String()))
	return err
}
