package cli

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// sealedFile is what seal diff knows of one version of a sealed file:
// readable without a key (names, which values are sealed, a fingerprint
// of each ciphertext, the recipients) and, when a key opens it, a keyed
// digest of each value. It never holds a plaintext value.
type sealedFile struct {
	Recipients []string
	Docs       []*sealedDoc
	// Opened is set when a key decrypted the file and the MAC verified.
	Opened bool
}

// sealedDoc is one document of a sealed file.
type sealedDoc struct {
	ID string // "Secret shop/db", from the readable kind, namespace and name
	// Binding is the seal.dev/sealed-for annotation: its ciphertext's
	// fingerprint, and in the clear once opened (it repeats the readable
	// kind, namespace and name, and is no secret). "" when there is none.
	Binding, BindingClear string
	// Values maps the path of each value under data and stringData
	// ("data.password") to the fingerprint of its ciphertext, or to
	// notEncrypted.
	Values map[string]string
	// Digests maps each path to a keyed digest of its value once opened:
	// equal digests are equal values, and without the key a digest tells
	// nothing about the value.
	Digests map[string]string
}

// notEncrypted marks a value that is not an ENC[…] string.
const notEncrypted = "NOT ENCRYPTED"

// encPrefix starts every SOPS-encrypted value.
const encPrefix = "ENC[AES256_GCM,"

// fingerprint is a short, stable name for a ciphertext (which is public).
func fingerprint(ciphertext string) string {
	sum := sha256.Sum256([]byte(ciphertext))
	return hex.EncodeToString(sum[:6])
}

// loadSealedFile reads one version of a file; nil when it is not a SOPS
// file. With ring holding a key that opens it, values get digests.
func loadSealedFile(name string, data []byte, ring *keys.Ring) (*sealedFile, error) {
	if !crypto.IsEncrypted(data) {
		return nil, nil
	}
	md, err := crypto.Inspect(name, data)
	if err != nil {
		return nil, err
	}
	docs, err := readDocs(name, data)
	if err != nil {
		return nil, err
	}
	sf := &sealedFile{Recipients: md.Recipients}
	for _, d := range docs {
		sd := &sealedDoc{ID: docID(d), Values: map[string]string{}}
		for path, v := range sealedLeaves(d) {
			if s, ok := v.(string); ok && strings.HasPrefix(s, encPrefix) {
				sd.Values[path] = fingerprint(s)
			} else {
				sd.Values[path] = notEncrypted
			}
		}
		if b, ok := bindingOf(d).(string); ok {
			sd.Binding = fingerprint(b)
		}
		sf.Docs = append(sf.Docs, sd)
	}
	if ring == nil || ring.Len() == 0 {
		return sf, nil
	}
	dec, err := crypto.Decrypt(name, data, ring.AgeIdentities())
	if errors.Is(err, crypto.ErrNoMatchingIdentity) {
		return sf, nil // none of the keys opens it: what is readable is shown
	}
	if err != nil {
		return nil, err
	}
	plain, err := readDocs(name, dec.Plaintext)
	if err != nil || len(plain) != len(sf.Docs) {
		return nil, fmt.Errorf("%s: the decrypted file does not match the encrypted one", name)
	}
	mac := digestKey(ring)
	for i, d := range plain {
		sd := sf.Docs[i]
		sd.Digests = map[string]string{}
		for path, v := range sealedLeaves(d) {
			h := hmac.New(sha256.New, mac)
			fmt.Fprintf(h, "%s\x00%v", path, v)
			sd.Digests[path] = hex.EncodeToString(h.Sum(nil)[:6])
		}
		if b, ok := bindingOf(d).(string); ok {
			sd.BindingClear = b
		}
	}
	sf.Opened = true
	return sf, nil
}

// digestKey keys the value digests with the secrets of the ring's
// identities, so that two runs (the two sides of a git textconv diff)
// give equal digests for equal values, while without those secrets a
// digest cannot be checked against a guessed value.
func digestKey(ring *keys.Ring) []byte {
	h := sha256.New()
	io.WriteString(h, "seal diff value digest v1\x00")
	for _, id := range ring.Identities() {
		h.Write(id.MarshalText(time.Time{}))
	}
	return h.Sum(nil)
}

// readDocs decodes every YAML document of data into a map.
func readDocs(name string, data []byte) ([]map[string]any, error) {
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not YAML seal can read: %w", name, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

// docID names a document by its readable kind, namespace and name.
func docID(d map[string]any) string {
	kind, _ := d["kind"].(string)
	meta, _ := d["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	if kind == "" {
		kind = "document"
		if name == "" {
			return kind // a generator input or values file
		}
	}
	if ns != "" {
		return fmt.Sprintf("%s %s/%s", kind, ns, name)
	}
	return fmt.Sprintf("%s %s", kind, name)
}

// sealedLeaves returns every value under data and stringData by dotted
// path; of a document with no kind (a generator input or a Helm values
// file), every value but the SOPS metadata and the binding.
func sealedLeaves(d map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				walk(prefix+"."+k, sub)
			}
			return
		}
		out[prefix] = v
	}
	tops := []string{"data", "stringData"}
	if _, hasKind := d["kind"]; !hasKind {
		tops = tops[:0]
		for k := range d {
			if k != "sops" && k != crypto.InputBindingKey {
				tops = append(tops, k)
			}
		}
	}
	for _, top := range tops {
		if v, ok := d[top]; ok && v != nil {
			walk(top, v)
		}
	}
	return out
}

// bindingOf returns the seal.dev/sealed-for annotation's value, or the
// top-level binding of a document with no kind, if any.
func bindingOf(d map[string]any) any {
	if _, hasKind := d["kind"]; !hasKind {
		return d[crypto.InputBindingKey] // a bound generator input or values file
	}
	meta, _ := d["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	return ann[crypto.BindingAnnotation]
}

// sortedPaths returns the keys of m, sorted.
func sortedPaths[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
