package crypto

import (
	"regexp"
	"strings"

	"github.com/getsops/sops/v3"
)

// rules decides which values of a SOPS file are encrypted, from the file's
// metadata, the way sops does (sops.Tree's decision is unexported): a value
// is judged by the keys on its path from the document root.
type rules struct {
	unencSuffix, encSuffix string
	unencRe, encRe         *regexp.Regexp
	// byComment is set when the file uses encrypted_comment_regex or
	// unencrypted_comment_regex; those depend on comments, which path-based
	// checks cannot judge.
	byComment bool
}

func rulesFrom(name string, md *sops.Metadata) (rules, error) {
	r := rules{
		unencSuffix: md.UnencryptedSuffix,
		encSuffix:   md.EncryptedSuffix,
		byComment:   md.EncryptedCommentRegex != "" || md.UnencryptedCommentRegex != "",
	}
	var err error
	if md.UnencryptedRegex != "" {
		if r.unencRe, err = regexp.Compile(md.UnencryptedRegex); err != nil {
			return r, fileErr(name, ErrMalformed, "its unencrypted_regex does not compile; restore the file from Git")
		}
	}
	if md.EncryptedRegex != "" {
		if r.encRe, err = regexp.Compile(md.EncryptedRegex); err != nil {
			return r, fileErr(name, ErrMalformed, "its encrypted_regex does not compile; restore the file from Git")
		}
	}
	return r, nil
}

// encrypted reports whether sops encrypts a value at path (comment rules
// aside).
func (r rules) encrypted(path []string) bool {
	enc := true
	if r.unencSuffix != "" {
		for _, k := range path {
			if strings.HasSuffix(k, r.unencSuffix) {
				enc = false
				break
			}
		}
	}
	if r.encSuffix != "" {
		enc = false
		for _, k := range path {
			if strings.HasSuffix(k, r.encSuffix) {
				enc = true
				break
			}
		}
	}
	if r.unencRe != nil {
		for _, k := range path {
			if r.unencRe.MatchString(k) {
				enc = false
				break
			}
		}
	}
	if r.encRe != nil {
		enc = false
		for _, k := range path {
			if r.encRe.MatchString(k) {
				enc = true
				break
			}
		}
	}
	return enc
}

// walkTree calls fn for every leaf value and comment of the branches, with
// the path sops uses for it (mapping keys only; comments get their parent's
// path). It fails on a mapping key that is not a string, which sops refuses.
func walkTree(branches sops.TreeBranches, fn func(doc int, path []string, v any, comment bool) error) error {
	for i, b := range branches {
		if err := walkValue(i, b, nil, fn); err != nil {
			return err
		}
	}
	return nil
}

type nonStringKeyError struct{ path []string }

func (e *nonStringKeyError) Error() string {
	return "a mapping key under " + displayPath(e.path) + " is not a string"
}

func walkValue(doc int, v any, path []string, fn func(int, []string, any, bool) error) error {
	switch v := v.(type) {
	case sops.TreeBranch:
		for _, item := range v {
			if c, ok := item.Key.(sops.Comment); ok {
				if err := fn(doc, path, c, true); err != nil {
					return err
				}
				continue
			}
			k, ok := item.Key.(string)
			if !ok {
				return &nonStringKeyError{path}
			}
			if err := walkValue(doc, item.Value, append(path[:len(path):len(path)], k), fn); err != nil {
				return err
			}
		}
	case []any:
		for _, item := range v {
			if err := walkValue(doc, item, path, fn); err != nil {
				return err
			}
		}
	case sops.Comment:
		return fn(doc, path, v, true)
	default:
		return fn(doc, path, v, false)
	}
	return nil
}

// displayPath renders a sops path for messages: "stringData.password".
func displayPath(path []string) string {
	if len(path) == 0 {
		return "the document root"
	}
	return strings.Join(path, ".")
}

// pathFromAD turns AES-GCM additional data ("data:password:") back into a
// display path.
func pathFromAD(ad string) string {
	return displayPath(strings.Split(strings.TrimSuffix(ad, ":"), ":"))
}
