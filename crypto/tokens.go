package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"strconv"
	"strings"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
)

// TokenPrefix starts every token DecryptTokens writes in place of a
// decrypted value. A token is TokenPrefix followed by TokenDigits characters
// of lower-case base32: letters and digits only, so it is valid as a YAML or
// JSON string, a dotenv value, a label value and a name.
const TokenPrefix = "seal-token-"

// TokenDigits is the number of characters after TokenPrefix.
const TokenDigits = 32

// TokenLen is the length of a token.
const TokenLen = len(TokenPrefix) + TokenDigits

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// IsToken reports whether s has the shape of a token.
func IsToken(s string) bool {
	if len(s) != TokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for _, c := range s[len(TokenPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Tokens is a decrypted file in which every encrypted value stands as a
// token, and the values the tokens stand for. A renderer given Text never
// holds a plaintext value, so it cannot copy one to a place it does not
// belong or quote one in an error; whoever applies the result checks where
// each token landed and only then puts the value there.
type Tokens struct {
	// Text is the file as Decrypt would print it, each encrypted value
	// replaced by its token: under a Secret's data, base64 of the token,
	// so that the value stays valid base64. A top-level binding (see
	// InputBindingKey) is not in Text. In whole-file mode Text is one
	// token standing for the whole decrypted file.
	Text []byte
	// Identity is the index in ids of the identity that opened the data
	// key, as in Decrypted.
	Identity int
	// Unbound lists the Secret documents without a BindingAnnotation, as in
	// Decrypted.
	Unbound []int
	// Values are the values the tokens stand for, in file order.
	Values []SealedValue
}

// SealedValue is one decrypted value and where it may go.
type SealedValue struct {
	// Token stands for the value in Text (base64-encoded there when
	// Encoded).
	Token string
	// Value is the plaintext as the file holds it: for a value under a
	// Secret's data, its base64 text.
	Value []byte
	// Encoded is set when Value is base64 text (a Secret's data), so Text
	// holds base64 of the token and the value belongs in data as it is.
	// Otherwise Value is raw: it belongs in stringData as it is, or in data
	// base64-encoded.
	Encoded bool
	// Where names the value in the file, for messages: "document 1,
	// data.password", "DB_PASSWORD", "the whole file".
	Where string
	// SealedFor is the identity the value is sealed for, verified under the
	// MAC: "<kind>/<namespace>/<name>" as in BindingAnnotation. It is "" when
	// nothing binds the value (files written by the sops CLI).
	SealedFor string
	// Input is set when SealedFor comes from a generator input's
	// InputBindingKey: the value belongs to the Secret a secretGenerator
	// of that name makes, whose name kustomize may give a hash suffix.
	Input bool
	// File is the name of the file, as given to DecryptTokens.
	File string
}

// InputBindingKey is the top-level key under which EncryptInput seals the
// identity of the Secret a kustomize secretGenerator makes from a whole
// file (dotenv, JSON or YAML): "Secret/<namespace>/<name>", encrypted like
// the file's values and covered by the MAC. DecryptTokens verifies it and
// leaves it out of Text.
const InputBindingKey = BindingAnnotation

// DecryptTokens decrypts an encrypted file like Decrypt (MAC and bindings
// verified first) and returns it with every encrypted value replaced by a
// token. With whole, Text is a single token standing for the whole
// decrypted file, as a secretGenerator's files: entry reads it.
//
// Tokens are an HMAC of the value and its identity under a key derived from
// the file's data key: the same value in the same file gives the same
// token, so a generator's hash suffix changes exactly when a value does, and
// nobody without the data key can tell anything about a value from its
// token.
func DecryptTokens(name string, data []byte, ids []age.Identity, whole bool) (t *Tokens, err error) {
	defer recoverInto(name, &err)
	o, err := openEncrypted(name, data, ids, false)
	if err != nil {
		return nil, err
	}
	inputFor, err := takeInputBinding(name, o)
	if err != nil {
		return nil, err
	}
	tk := newTokenizer(o.dataKey)
	t = &Tokens{Identity: o.identity, Unbound: o.unbound}
	if whole {
		plain, err := o.store.EmitPlainFile(o.tree.Branches)
		if err != nil {
			return nil, fileErr(name, ErrMalformed, "the decrypted file could not be written out (a value type the format cannot hold)")
		}
		v := SealedValue{Value: plain, Where: "the whole file", SealedFor: inputFor, Input: inputFor != "", File: name}
		v.Token = tk.token(v.SealedFor, v.Value)
		t.Text, t.Values = []byte(v.Token), []SealedValue{v}
		return t, nil
	}
	r, err := rulesFrom(name, &o.tree.Metadata)
	if err != nil {
		return nil, err
	}
	for i, b := range o.tree.Branches {
		d := docTokens{tk: tk, rules: r, file: name, doc: i, secret: isSecretDoc(b), dotenv: o.format == formatDotenv, sealedFor: inputFor, input: inputFor != ""}
		if id := boundIdentity(b); id != "" {
			d.sealedFor, d.input = id, false
		}
		o.tree.Branches[i] = d.branch(b, nil).(sops.TreeBranch)
		t.Values = append(t.Values, d.values...)
	}
	if t.Text, err = o.store.EmitPlainFile(o.tree.Branches); err != nil {
		return nil, fileErr(name, ErrMalformed, "the decrypted file could not be written out (a value type the format cannot hold)")
	}
	return t, nil
}

// takeInputBinding removes a verified top-level binding from the first
// document and returns it ("" when there is none).
func takeInputBinding(name string, o *openFile) (string, error) {
	if !o.input.present {
		return "", nil
	}
	b := o.tree.Branches[0]
	i := indexOf(b, InputBindingKey)
	id, ok := b[i].Value.(string)
	if !o.input.sealed || !ok || encValueRe.MatchString(id) {
		return "", fileErr(name, ErrIdentityMismatch, "its top-level %s entry is not encrypted, so anyone could have written it: the file was changed after encryption. Restore it from Git, or encrypt it again with `seal encrypt --bind-secret`", InputBindingKey)
	}
	if _, ns, n, ok := SplitIdentity(id); !ok || ns == "" || n == "" {
		return "", fileErr(name, ErrIdentityMismatch, "its top-level %s entry is not a <kind>/<namespace>/<name> identity; encrypt it again with `seal encrypt --bind-secret NAMESPACE/NAME`", InputBindingKey)
	}
	o.tree.Branches[0] = append(b[:i:i], b[i+1:]...)
	return id, nil
}

// SplitIdentity splits "<kind>/<namespace>/<name>" into its parts,
// unescaping each.
func SplitIdentity(id string) (kind, namespace, name string, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return "", "", "", false
	}
	for i, p := range parts {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "%2F", "/"), "%25", "%")
		parts[i] = p
	}
	return parts[0], parts[1], parts[2], true
}

// Identity joins a kind, namespace and name the way bindings spell them.
func Identity(kind, namespace, name string) string {
	return idPart(kind) + "/" + idPart(namespace) + "/" + idPart(name)
}

// boundIdentity is a document's verified binding, or "" without one.
// (openEncrypted has compared every binding with its document.)
func boundIdentity(b sops.TreeBranch) string {
	if v, ok := bindingValue(b); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

func isSecretDoc(b sops.TreeBranch) bool {
	kind, _ := docKind(b)
	return kind == "Secret"
}

// docTokens replaces the encrypted values of one document.
type docTokens struct {
	tk        tokenizer
	rules     rules
	file      string
	input     bool
	doc       int
	secret    bool
	dotenv    bool
	sealedFor string
	values    []SealedValue
}

func (d *docTokens) branch(v any, path []string) any {
	switch v := v.(type) {
	case sops.TreeBranch:
		out := make(sops.TreeBranch, len(v))
		for i, item := range v {
			out[i] = item
			k, ok := item.Key.(string)
			if !ok {
				continue // comments stay as they are
			}
			out[i].Value = d.branch(item.Value, append(path[:len(path):len(path)], k))
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = d.branch(item, path)
		}
		return out
	case sops.Comment, nil:
		return v
	}
	if !d.rules.byComment && !d.rules.encrypted(path) || isBindingPath(path) {
		return v
	}
	plain, err := sops.ToBytes(v)
	if err != nil || len(plain) == 0 {
		return v // empty values are not encrypted, so they carry nothing
	}
	sv := SealedValue{Value: plain, Where: d.where(path), SealedFor: d.sealedFor, Input: d.input, File: d.file}
	sv.Encoded = d.secret && len(path) > 0 && path[0] == "data"
	sv.Token = d.tk.token(sv.SealedFor, plain)
	d.values = append(d.values, sv)
	if sv.Encoded {
		return base64.StdEncoding.EncodeToString([]byte(sv.Token))
	}
	return sv.Token
}

func (d *docTokens) where(path []string) string {
	p := strings.Join(path, ".")
	if d.dotenv {
		return p
	}
	return "document " + strconv.Itoa(d.doc+1) + ", " + p
}

func isBindingPath(path []string) bool {
	return len(path) == 3 && path[0] == bindingPath[0] && path[1] == bindingPath[1] && path[2] == bindingPath[2]
}

// tokenizer makes tokens under one file's data key.
type tokenizer struct{ key []byte }

func newTokenizer(dataKey []byte) tokenizer {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("seal.dev render token key v1"))
	return tokenizer{key: m.Sum(nil)}
}

func (t tokenizer) token(sealedFor string, value []byte) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(sealedFor))
	m.Write([]byte{0})
	m.Write(value)
	return TokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(m.Sum(nil)[:20]))
}
