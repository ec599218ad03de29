package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// codeWrongRelease marks a HelmRelease reading a values file sealed for
// another release (or for a Secret): the agent refuses the revision.
const codeWrongRelease = "wrong-release"

// bindingScan collects, while seal check reads the files, the HelmReleases
// and the encrypted files, to match each release's values files with the
// release they were sealed for once every file is read.
type bindingScan struct {
	root      string // the repository root values file paths start from
	releases  []checkedRelease
	encrypted map[string][]byte // absolute path -> file, encrypted files that may be values files
	checked   map[string]bool   // absolute paths of every file added
	staged    bool              // files come from the index: none is read from disk
}

func newBindingScan(wd string, staged bool) *bindingScan {
	root, ok := checkoutRoot(wd)
	if !ok {
		root = wd
	}
	return &bindingScan{root: root, encrypted: map[string][]byte{}, checked: map[string]bool{}, staged: staged}
}

// manifestKindRe finds a top-level kind: a manifest, not a values file.
var manifestKindRe = regexp.MustCompile(`(?m)^kind:`)

// add records what s holds: its releases, or, for an encrypted file that
// may be a values file (no top-level kind), its bytes.
func (b *bindingScan) add(s *auditFile) {
	b.checked[s.Abs] = true
	if looksEncrypted(s.Data) {
		if !manifestKindRe.Match(s.Data) {
			b.encrypted[s.Abs] = s.Data
		}
		return
	}
	b.releases = append(b.releases, readReleases(s.Name, s.Data)...)
}

// findings decrypts, with ring, each encrypted values file a release
// reads, and reports a release reading one sealed for anything else.
// Files no key of ring opens, unbound files (the unbound notice covers
// them) and files seal check cannot read are left to other checks. No
// value is kept or printed: only the file's binding is read.
func (b *bindingScan) findings(ring func() *keys.Ring) []finding {
	var fs []finding
	bindings := map[string]string{} // absolute path -> sealed identity ("" when none or unreadable)
	for _, r := range b.releases {
		want := crypto.Identity(crypto.ReleaseKind, r.Namespace, r.Name)
		for _, vf := range r.ValuesFiles {
			abs := filepath.Join(b.root, filepath.FromSlash(vf))
			got, ok := bindings[abs]
			if !ok {
				got = b.binding(abs, vf, ring)
				bindings[abs] = got
			}
			if got == "" || got == want {
				continue
			}
			kind, ns, name, _ := crypto.SplitIdentity(got)
			fs = append(fs, finding{File: r.File, Line: r.Line, Code: codeWrongRelease,
				Problem: fmt.Sprintf("HelmRelease %s/%s reads values file %s, which is sealed for %s %s/%s: the agent refuses the revision",
					r.Namespace, r.Name, vf, kind, ns, name),
				Fix: fmt.Sprintf("give the release values of its own, sealed with `seal encrypt --release %s/%s FILE`, and name that file in spec.valuesFiles",
					r.Namespace, r.Name)})
		}
	}
	return fs
}

// binding returns the sealed identity of the encrypted file at abs, or "".
func (b *bindingScan) binding(abs, name string, ring func() *keys.Ring) string {
	data, ok := b.encrypted[abs]
	if !ok && !b.staged && !b.checked[abs] {
		data = readCheckedFile(abs)
	}
	if data == nil || !looksEncrypted(data) {
		return ""
	}
	r := ring()
	if r == nil || r.Len() == 0 {
		return ""
	}
	dec, err := crypto.Decrypt(name, data, r.AgeIdentities())
	if err != nil {
		return ""
	}
	docs, err := readDocs(name, dec.Plaintext)
	if err != nil || len(docs) != 1 {
		return ""
	}
	id, _ := bindingOf(docs[0]).(string)
	if _, hasKind := docs[0]["kind"]; hasKind {
		return "" // a manifest, not a values file: the agent says what it is
	}
	return id
}

// readCheckedFile reads a file of at most crypto.MaxFileSize bytes, nil when it
// cannot or when it is larger.
func readCheckedFile(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, crypto.MaxFileSize+1))
	if err != nil || len(data) > crypto.MaxFileSize {
		return nil
	}
	return data
}

// checkRing loads the identities seal check reads bindings with, once:
// none (nil) when no key is found.
func checkRing(f *Factory) func() *keys.Ring {
	var ring *keys.Ring
	loaded := false
	return func() *keys.Ring {
		if !loaded {
			loaded = true
			r, err := loadRing(f, nil)
			if err == nil {
				ring = r
			}
		}
		return ring
	}
}
