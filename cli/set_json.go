package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// JSON files are edited through the same yaml.v3 node tree as YAML files
// (JSON is YAML, and the node tree keeps the order of keys), then written
// back as JSON. yaml.v3 has no JSON emitter and encoding/json forgets the
// order of an object's keys, so the small writer below turns the node tree
// back into JSON; encoding/json still quotes the strings and indents.

// isJSONText reports whether a decrypted text is JSON (an object or array).
func isJSONText(plaintext []byte) bool {
	t := bytes.TrimSpace(plaintext)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// editJSONValue is editValue for a JSON file: one document, written back
// as JSON with the file's indentation.
func editJSONValue(name string, plaintext []byte, secret string, p valuePath, value []byte, unset bool) ([]byte, bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(plaintext, &doc); err != nil {
		return nil, false, fmt.Errorf("%s: reading the decrypted JSON: %w", name, err)
	}
	m, err := findSecret(name, []*yaml.Node{&doc}, secret)
	if err != nil {
		return nil, false, err
	}
	changed, err := setInSecret(name, m, p, value, unset)
	if err != nil || !changed {
		return nil, changed, err
	}
	var compact bytes.Buffer
	if err := writeJSONNode(&compact, &doc); err != nil {
		return nil, false, fmt.Errorf("%s: writing the changed JSON: %w", name, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", jsonIndent(plaintext)); err != nil {
		return nil, false, fmt.Errorf("%s: writing the changed JSON: %w", name, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), true, nil
}

// writeJSONNode writes n as compact JSON.
func writeJSONNode(w *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("want one JSON value, found %d", len(n.Content))
		}
		return writeJSONNode(w, n.Content[0])
	case yaml.MappingNode:
		w.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeJSONString(w, n.Content[i].Value); err != nil {
				return err
			}
			w.WriteByte(':')
			if err := writeJSONNode(w, n.Content[i+1]); err != nil {
				return err
			}
		}
		w.WriteByte('}')
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeJSONNode(w, c); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float", "!!bool", "!!null":
			// Numbers, booleans and null keep their JSON text.
			if !json.Valid([]byte(n.Value)) {
				return fmt.Errorf("%q is not a JSON value", n.Value)
			}
			w.WriteString(n.Value)
		default:
			return writeJSONString(w, n.Value)
		}
	default:
		return fmt.Errorf("unexpected YAML node kind %d in a JSON file", n.Kind)
	}
	return nil
}

// writeJSONString writes s as a JSON string, without escaping <, > and &.
func writeJSONString(w *bytes.Buffer, s string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	w.Truncate(w.Len() - 1) // Encode ends with a newline
	return nil
}

// jsonIndent is the indentation of the first indented line of a JSON text
// (four spaces, sops' own, when there is none).
func jsonIndent(text []byte) string {
	for _, line := range strings.Split(string(text), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if n := len(line) - len(trimmed); n > 0 && trimmed != "" {
			return line[:n]
		}
	}
	return "    "
}
