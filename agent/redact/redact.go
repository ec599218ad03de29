package redact

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Mask replaces a value in redacted text.
const Mask = "[redacted]"

// MinLen is the shortest value redacted: shorter ones are too likely to be
// ordinary words and numbers of a message, and hiding them hides nothing.
const MinLen = 4

// Redactor replaces known values in text. The zero value and nil redact
// nothing. It is safe for concurrent use once built.
type Redactor struct {
	r *strings.Replacer
}

// New returns a Redactor for values, each in its raw form, base64 (standard
// and URL alphabets, padded or not), and escaped as Go, JSON and YAML
// strings quote it. A value that looks base64-encoded (a Secret's data) is
// also redacted decoded.
func New(values [][]byte) *Redactor {
	forms := map[string]bool{}
	add := func(s string) {
		if len(s) >= MinLen {
			forms[s] = true
		}
	}
	for _, v := range values {
		for _, raw := range variants(v) {
			s := string(raw)
			add(s)
			add(base64.StdEncoding.EncodeToString(raw))
			add(base64.RawStdEncoding.EncodeToString(raw))
			add(base64.URLEncoding.EncodeToString(raw))
			add(base64.RawURLEncoding.EncodeToString(raw))
			add(strings.Trim(strconv.Quote(s), `"`))
			if j, err := json.Marshal(s); err == nil {
				add(strings.Trim(string(j), `"`))
			}
			add(strings.ReplaceAll(s, "'", "''")) // YAML single-quoted
			for _, line := range strings.Split(s, "\n") {
				add(strings.TrimSpace(line)) // YAML block scalars and folded messages
			}
		}
	}
	if len(forms) == 0 {
		return &Redactor{}
	}
	list := make([]string, 0, len(forms))
	for f := range forms {
		list = append(list, f)
	}
	// Longest first, so a value is masked whole rather than around a
	// shorter value it contains.
	slices.SortFunc(list, func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(list))
	for _, f := range list {
		pairs = append(pairs, f, Mask)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// variants is the value and, when it is base64 text, what it decodes to.
func variants(v []byte) [][]byte {
	out := [][]byte{v}
	if d, err := base64.StdEncoding.DecodeString(string(v)); err == nil && len(d) > 0 {
		out = append(out, d)
	}
	return out
}

// String returns s with every known value masked.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Error returns err with its message redacted, keeping what it wraps for
// errors.Is and errors.As; nil stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil || r.r == nil {
		return err
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
