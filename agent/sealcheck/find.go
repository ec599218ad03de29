package sealcheck

import (
	"encoding/base64"
	"strings"

	"github.com/seal-gitops/seal/crypto"
)

// b64Prefixes are the parts of base64 text that always appear where a
// token was base64-encoded, at each of the three alignments a token can
// have within base64's three-byte groups. Kustomize base64-encodes whole
// generator values, so a token copied out of a Secret's data, or encoded
// with something before it, still shows one of these.
var b64Prefixes = [3]string{
	innerBase64(crypto.TokenPrefix, 0),
	innerBase64(crypto.TokenPrefix, 1),
	innerBase64(crypto.TokenPrefix, 2),
}

// innerBase64 returns the characters of the base64 encoding of s, preceded
// by lead other bytes, that depend on s alone: the groups of three bytes
// that lie wholly within s.
func innerBase64(s string, lead int) string {
	enc := base64.StdEncoding.EncodeToString(append(make([]byte, lead), s...))
	first := (lead + 2) / 3     // first group that starts within s
	last := (lead + len(s)) / 3 // groups before this one end within s
	if last <= first {
		return ""
	}
	return enc[4*first : 4*last]
}

// find reports whether s holds a token, raw or base64-encoded, whole or in
// part, and which sealed value it stands for when it can tell (nil for
// token-shaped text that no sealed file of the revision produced).
func (c *checker) find(s string) (bool, *crypto.SealedValue) {
	if i := strings.Index(s, crypto.TokenPrefix); i >= 0 {
		end := min(len(s), i+crypto.TokenLen)
		return true, c.values[s[i:end]]
	}
	for _, p := range b64Prefixes {
		if !strings.Contains(s, p) {
			continue
		}
		for _, v := range c.values {
			for lead := range 3 {
				if strings.Contains(s, innerBase64(v.Token, lead)) {
					return true, v
				}
			}
		}
		return true, nil
	}
	return false, nil
}
