package crypto

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// jsonFrame is an object or array being read.
type jsonFrame struct {
	keys     map[string]bool // nil for arrays
	wantsKey bool            // in an object, the next string is a key
}

// checkJSON requires exactly one JSON object and checks what the sops store
// does not: duplicate keys, nesting depth (the store reads recursively) and
// the number of keys and values. It streams tokens, so an oversized file is
// refused before it is built in memory. Syntax errors are reported by line.
func checkJSON(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	for nodes := 0; ; nodes++ {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(name, data, err)
		}
		if nodes == 0 && tok != json.Delim('{') {
			return fileErr(name, ErrMalformed, "the top level of a JSON manifest must be an object")
		}
		if nodes > maxNodes {
			return fileErr(name, ErrTooLarge, "more than %d keys and values; split the file", maxNodes)
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxDepth {
				return fileErr(name, ErrMalformed, "nesting deeper than %d levels at line %d", maxDepth, lineAt(data, dec.InputOffset()))
			}
			if top != nil && top.keys != nil {
				top.wantsKey = true
			}
			f := &jsonFrame{}
			if tok == json.Delim('{') {
				f.keys, f.wantsKey = make(map[string]bool), true
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return checkJSONEnd(name, data, dec)
			}
			if top := stack[len(stack)-1]; top.keys != nil {
				top.wantsKey = true
			}
			continue
		}
		if top.keys == nil {
			continue
		}
		if top.wantsKey {
			k, _ := tok.(string)
			if top.keys[k] {
				return fileErr(name, ErrMalformed, "line %d: duplicate key; remove one of them", lineAt(data, dec.InputOffset()))
			}
			top.keys[k] = true
		}
		top.wantsKey = !top.wantsKey
	}
}

// checkJSONEnd requires nothing but white space after the top-level object.
func checkJSONEnd(name string, data []byte, dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fileErr(name, ErrMalformed, "invalid JSON at line %d: more than one top-level value; put one object in a file", lineAt(data, dec.InputOffset()))
	}
	return nil
}
