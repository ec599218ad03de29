package crypto

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
)

// encValueRe is the shape of a value sops encrypted. It is stricter than the
// sops parser: the "bytes" type, which sops never writes, would make the sops
// cipher panic, so it is refused here.
var encValueRe = regexp.MustCompile(`^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:(str|int|float|bool|time|comment)\]$`)

var errNotEncValue = errors.New("value is not in the SOPS encrypted format")

// valueCipher wraps the sops AES-GCM cipher. It remembers which value failed
// (by path, never by content), passes through plaintext comments sops would
// otherwise try to decrypt and log, and for Reencrypt keeps each decrypted
// value's exact ciphertext so unchanged values can keep it.
type valueCipher struct {
	inner    sops.Cipher
	comments map[string]bool // additional data + "\x00" + text of comments sops will decrypt -> still plaintext
	failedAt string          // additional data (the path) of the first value that failed
	kept     map[keptKey][]string
	reuse    bool // Encrypt returns kept ciphertexts for unchanged values
}

// keptKey identifies a value by its path and typed plaintext.
type keptKey struct{ ad, typ, plain string }

func newValueCipher() *valueCipher {
	return &valueCipher{inner: aes.NewCipher()}
}

func keyOf(plaintext any, ad string) (keptKey, bool) {
	b, err := sops.ToBytes(plaintext)
	if err != nil {
		return keptKey{}, false
	}
	return keptKey{ad: ad, typ: fmt.Sprintf("%T", plaintext), plain: string(b)}, true
}

func (c *valueCipher) fail(ad string) {
	if c.failedAt == "" {
		c.failedAt = ad
	}
}

func (c *valueCipher) Decrypt(ciphertext string, key []byte, ad string) (any, error) {
	if ciphertext == "" {
		return "", nil
	}
	plainComment, isComment := c.comments[ad+"\x00"+ciphertext]
	if plainComment {
		return sops.Comment{Value: ciphertext}, nil
	}
	var plaintext any
	err := errNotEncValue
	if encValueRe.MatchString(ciphertext) {
		plaintext, err = c.inner.Decrypt(ciphertext, key, ad)
	}
	if err != nil {
		c.fail(ad)
		if isComment {
			// sops would log the comment and keep it; the failure is
			// reported through failedAt instead, and nothing is logged.
			return sops.Comment{Value: ciphertext}, nil
		}
		return nil, err
	}
	if c.kept != nil {
		if k, ok := keyOf(plaintext, ad); ok {
			c.kept[k] = append(c.kept[k], ciphertext)
		}
	}
	return plaintext, nil
}

func (c *valueCipher) Encrypt(plaintext any, key []byte, ad string) (string, error) {
	if c.reuse {
		if k, ok := keyOf(plaintext, ad); ok {
			if q := c.kept[k]; len(q) > 0 {
				c.kept[k] = q[1:]
				return q[0], nil
			}
		}
	}
	ct, err := c.inner.Encrypt(plaintext, key, ad)
	if err != nil {
		c.fail(ad)
	}
	return ct, err
}
