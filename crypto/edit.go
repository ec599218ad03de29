package crypto

import (
	"bytes"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
)

// Reencrypt is `seal edit`'s write-back: it encrypts edited (the plaintext,
// in the form Decrypt returned it) with original's data key and recipients.
// Every value whose path and plaintext are unchanged keeps its exact previous
// ciphertext, so the Git diff shows only what changed; the MAC is recomputed.
// When edited equals the decrypted original, original is returned as it is,
// unless it holds unbound Secrets its rules can bind: saving a file written
// by the sops CLI unchanged is how to seal its identities.
// The original's MAC and bindings are verified first.
//
// Every Secret document (and any other that carries one) gets its
// BindingAnnotation recomputed from the edited text: the caller holds the
// key, so renaming a Secret in the editor is legitimate. A binding whose
// identity did not change keeps its ciphertext. A file written by the sops
// CLI is bound this way on its first real edit, its encrypted_regex
// extended to cover the annotation; when its rules cannot be (an
// encrypted_suffix, an unencrypted_regex or comment rules that leave the
// annotation unencrypted), any binding annotation is removed instead, since
// Decrypt refuses a plaintext one.
func Reencrypt(name string, original, edited []byte, ids []age.Identity) (out []byte, err error) {
	defer recoverInto(name, &err)
	if err := checkSize(name, edited); err != nil {
		return nil, err
	}
	o, err := openEncrypted(name, original, ids, true)
	if err != nil {
		return nil, err
	}
	before, err := o.store.EmitPlainFile(o.tree.Branches)
	if err == nil && bytes.Equal(before, edited) && !canBind(o) {
		return original, nil
	}
	store, branches, err := loadPlain(name, o.format, edited)
	if err != nil {
		return nil, err
	}
	branches = dropEmpty(branches)
	if len(branches) == 0 {
		return nil, fileErr(name, ErrMalformed, "the edited text is empty; to remove the file, delete it instead")
	}
	if hasSopsKey(store, branches) {
		return nil, fileErr(name, ErrAlreadyEncrypted, "the edited text has a top-level sops entry; remove it (the metadata is kept for you)")
	}
	if o.format != formatDotenv && allSecrets(o.tree.Branches) {
		if err := checkKinds(name, branches); err != nil {
			return nil, err
		}
	}
	tree := sops.Tree{Branches: branches, Metadata: o.tree.Metadata, FilePath: name}
	tree.Metadata.Version = bumpVersion(tree.Metadata.Version)
	if o.format != formatDotenv { // dotenv holds no manifests
		if err := rebind(name, &tree); err != nil {
			return nil, err
		}
	}
	c := newValueCipher()
	c.kept, c.reuse = o.cipher.kept, true
	if err := encryptTree(name, &tree, o.dataKey, c); err != nil {
		return nil, err
	}
	return emitEncrypted(name, store, &tree)
}

// bumpVersion returns the version to record after rewriting a file: ours
// when the file's is older, as `sops edit` does.
func bumpVersion(v string) string {
	have, ok := parseVersion(v)
	want, _ := parseVersion(sopsVersion)
	if !ok {
		return sopsVersion
	}
	for i := range have {
		if have[i] != want[i] {
			if have[i] < want[i] {
				return sopsVersion
			}
			return v
		}
	}
	return v
}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		if j := strings.IndexAny(p, "-+"); j >= 0 {
			p = p[:j]
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// rebind recomputes the bindings of an edited tree and, when the file's
// rules need it, extends its encrypted_regex to encrypt them.
func rebind(name string, tree *sops.Tree) error {
	re, ok := bindingRegex(&tree.Metadata)
	if !ok {
		unbind(tree.Branches)
		return nil
	}
	n, err := bind(name, tree.Branches)
	if err != nil {
		return err
	}
	if n > 0 {
		tree.Metadata.EncryptedRegex = re
	}
	return nil
}

// canBind reports whether the opened file holds Secrets without a binding
// that its rules can encrypt one for.
func canBind(o *openFile) bool {
	if len(o.unbound) == 0 || o.format == formatDotenv {
		return false
	}
	_, ok := bindingRegex(&o.tree.Metadata)
	return ok
}
