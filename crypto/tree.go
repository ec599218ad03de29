package crypto

import (
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
)

// openFile is an encrypted file whose values have been decrypted and whose
// MAC has been verified.
type openFile struct {
	format   format
	store    sops.Store
	tree     *sops.Tree
	dataKey  []byte
	identity int
	cipher   *valueCipher
	unbound  []int     // Secret documents without a binding
	input    sealState // the top-level binding of a whole-file input
}

// openEncrypted loads, unwraps and decrypts an encrypted file, verifies its
// MAC and then every document's binding. With keep, the cipher remembers
// every value's ciphertext.
func openEncrypted(name string, data []byte, ids []age.Identity, keep bool) (*openFile, error) {
	if err := checkSize(name, data); err != nil {
		return nil, err
	}
	f := formatFor(name)
	store, tree, err := loadEncrypted(name, f, data)
	if err != nil {
		return nil, err
	}
	if tree.Metadata.MACOnlyEncrypted {
		return nil, fileErr(name, ErrUnsupported, "it was encrypted with mac_only_encrypted, whose MAC does not protect names and namespaces; decrypt it with sops and encrypt it again with seal")
	}
	r, err := rulesFrom(name, &tree.Metadata)
	if err != nil {
		return nil, err
	}
	comments, err := precheck(name, tree.Branches, r)
	if err != nil {
		return nil, err
	}
	dataKey, identity, err := unwrapDataKey(name, &tree.Metadata, ids)
	if err != nil {
		return nil, err
	}
	states := sealStates(tree.Branches, r)
	input := inputState(tree.Branches, r)
	c := newValueCipher()
	c.comments = comments
	if keep {
		c.kept = make(map[keptKey][]string)
	}
	computed, err := tree.Decrypt(dataKey, c)
	if err == nil && c.failedAt != "" {
		err = errors.New("an encrypted comment failed")
	}
	if err != nil {
		if c.failedAt != "" {
			return nil, fileErr(name, ErrMACMismatch, "the value at %s does not decrypt: it was changed, or moved there from another key or file; restore the file from Git", pathFromAD(c.failedAt))
		}
		return nil, fileErr(name, ErrMalformed, "its values could not be decrypted (unexpected value types); restore the file from Git")
	}
	if err := verifyMAC(name, tree, dataKey, computed); err != nil {
		return nil, err
	}
	var unbound []int
	if f != formatDotenv { // dotenv holds no manifests
		if unbound, err = checkBindings(name, tree.Branches, states); err != nil {
			return nil, err
		}
	}
	return &openFile{format: f, store: store, tree: tree, dataKey: dataKey, identity: identity, cipher: c, unbound: unbound, input: input}, nil
}

// precheck walks an encrypted tree before decryption: every value the rules
// say is encrypted must look encrypted (else the file was edited by hand),
// and comments in encrypted places are collected for the cipher, with
// whether they are still plaintext (written by an old sops, or by hand).
func precheck(name string, branches sops.TreeBranches, r rules) (map[string]bool, error) {
	comments := make(map[string]bool)
	err := walkTree(branches, func(_ int, path []string, v any, comment bool) error {
		if r.byComment || !r.encrypted(path) {
			return nil
		}
		ad := strings.Join(path, ":") + ":"
		if comment {
			text := v.(sops.Comment).Value
			comments[ad+"\x00"+text] = !strings.HasPrefix(text, "ENC[AES256_GCM,")
			return nil
		}
		if s, ok := v.(string); v == nil || ok && (s == "" || strings.HasPrefix(s, "ENC[AES256_GCM,")) {
			return nil
		}
		return fileErr(name, ErrMACMismatch, "the value at %s is not encrypted, but the file's rules say it must be: the file was edited without seal or sops. Use `seal edit` to change encrypted files, or restore the file from Git", displayPath(path))
	})
	var nsk *nonStringKeyError
	if errors.As(err, &nsk) {
		return nil, fileErr(name, ErrMalformed, "%s; SOPS supports string keys only", nsk.Error())
	}
	return comments, err
}

// verifyMAC compares the MAC computed over the decrypted values with the
// one stored (encrypted under the data key, bound to lastmodified).
func verifyMAC(name string, tree *sops.Tree, dataKey []byte, computed string) error {
	stored := tree.Metadata.MessageAuthenticationCode
	if stored == "" {
		return fileErr(name, ErrMACMismatch, "the file has no MAC, so its integrity cannot be checked; restore it from Git or encrypt it again")
	}
	if !encValueRe.MatchString(stored) {
		return fileErr(name, ErrMACMismatch, "its MAC is not in the SOPS format; restore the file from Git")
	}
	mac, err := aes.NewCipher().Decrypt(stored, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return fileErr(name, ErrMACMismatch, "its MAC does not decrypt (the MAC or lastmodified was changed); restore the file from Git")
	}
	if s, ok := mac.(string); !ok || subtle.ConstantTimeCompare([]byte(s), []byte(computed)) != 1 {
		return fileErr(name, ErrMACMismatch, "the values do not match the MAC: the file was changed after it was encrypted (a value, a name or namespace, or the order of values). Restore it from Git, and change encrypted files with `seal edit`")
	}
	return nil
}

// encryptTree encrypts the tree's values with the cipher and stores a fresh
// MAC, bound to a fresh lastmodified, as sops does.
func encryptTree(name string, tree *sops.Tree, dataKey []byte, c *valueCipher) error {
	computed, err := tree.Encrypt(dataKey, c)
	if err != nil {
		var nsk *nonStringKeyError
		if werr := walkTree(tree.Branches, func(int, []string, any, bool) error { return nil }); errors.As(werr, &nsk) {
			return fileErr(name, ErrMalformed, "%s; SOPS supports string keys only", nsk.Error())
		}
		return fileErr(name, ErrMalformed, "its values could not be encrypted (unsupported value types)")
	}
	tree.Metadata.LastModified = time.Now().UTC().Truncate(time.Second)
	mac, err := aes.NewCipher().Encrypt(computed, dataKey, tree.Metadata.LastModified.Format(time.RFC3339))
	if err != nil {
		return &FileError{Name: name, Err: errors.New("encrypting the MAC failed")}
	}
	tree.Metadata.MessageAuthenticationCode = mac
	return nil
}

// emitEncrypted writes a tree out in its store's format.
func emitEncrypted(name string, store sops.Store, tree *sops.Tree) ([]byte, error) {
	out, err := store.EmitEncryptedFile(*tree)
	if err != nil {
		return nil, fileErr(name, ErrMalformed, "the encrypted file could not be written out (a value type the format cannot hold)")
	}
	return out, nil
}
