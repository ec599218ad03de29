package cli

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/crypto"
)

// valuePath is one value of a Secret: data or stringData, and the key.
type valuePath struct{ Field, Key string }

func (p valuePath) String() string { return p.Field + "." + p.Key }

// sopsPathRe is sops' path form: ["data"]["tls.crt"].
var sopsPathRe = regexp.MustCompile(`^\["(data|stringData)"\]\["([^"]+)"\]$`)

// parseValuePath reads data.KEY, stringData.KEY or ["data"]["KEY"].
func parseValuePath(s string) (valuePath, error) {
	if m := sopsPathRe.FindStringSubmatch(s); m != nil {
		return valuePath{m[1], m[2]}, nil
	}
	field, key, ok := strings.Cut(s, ".")
	if !ok || key == "" || (field != "data" && field != "stringData") {
		return valuePath{}, withHint(usagef("PATH %q: want data.KEY or stringData.KEY", s),
			"for example stringData.password, or data.tls.crt (the key is taken whole)")
	}
	return valuePath{field, key}, nil
}

// editValue sets (or, with unset, removes) one value in the plaintext of a
// YAML manifest file, in the Secret named secret (or the only one). The
// text is re-emitted with the file's indentation and comments; Reencrypt
// keeps every unchanged value's ciphertext whatever the layout. A JSON
// file is written back as JSON (editJSONValue).
func editValue(name string, plaintext []byte, secret string, p valuePath, value []byte, unset bool) ([]byte, bool, error) {
	if isJSONText(plaintext) {
		return editJSONValue(name, plaintext, secret, p, value, unset)
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(plaintext))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: reading the decrypted text: %w", name, err)
		}
		docs = append(docs, &n)
	}
	doc, err := findSecret(name, docs, secret)
	if err != nil {
		return nil, false, err
	}
	changed, err := setInSecret(name, doc, p, value, unset)
	if err != nil || !changed {
		return nil, changed, err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(plainIndent(plaintext))
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, false, fmt.Errorf("%s: writing the changed text: %w", name, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, false, fmt.Errorf("%s: writing the changed text: %w", name, err)
	}
	return out.Bytes(), true, nil
}

// findSecret returns the mapping of the Secret document named secret, or
// of the only Secret when secret is "".
func findSecret(name string, docs []*yaml.Node, secret string) (*yaml.Node, error) {
	var found []*yaml.Node
	var names []string
	for _, d := range docs {
		if d.Kind != yaml.DocumentNode || len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := d.Content[0]
		if kind := mapValue(m, "kind"); kind == nil || kind.Value != "Secret" {
			continue
		}
		n := ""
		if md := mapValue(m, "metadata"); md != nil {
			if v := mapValue(md, "name"); v != nil {
				n = v.Value
			}
		}
		names = append(names, n)
		if secret == "" || secret == n {
			found = append(found, m)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(names) == 0:
		return nil, fmt.Errorf("%s: %w: no document has kind: Secret", name, crypto.ErrNotSecret)
	case secret != "":
		return nil, withHint(fmt.Errorf("%s: no Secret named %q (it holds %s)", name, secret, strings.Join(names, ", ")), "pass --secret with one of those names")
	default:
		return nil, withHint(usagef("%s holds %d Secrets (%s): say which with --secret NAME", name, len(names), strings.Join(names, ", ")),
			"for example --secret %s", names[0])
	}
}

// setInSecret changes the value at p in the Secret mapping m.
func setInSecret(name string, m *yaml.Node, p valuePath, value []byte, unset bool) (bool, error) {
	field := mapValue(m, p.Field)
	if unset {
		if field == nil || field.Kind != yaml.MappingNode {
			return false, fmt.Errorf("%s: the Secret has no %s", name, p)
		}
		for i := 0; i+1 < len(field.Content); i += 2 {
			if field.Content[i].Value == p.Key {
				field.Content = append(field.Content[:i], field.Content[i+2:]...)
				return true, nil
			}
		}
		return false, fmt.Errorf("%s: the Secret has no %s", name, p)
	}
	text := string(value)
	if p.Field == "data" {
		text = base64.StdEncoding.EncodeToString(value)
	} else if !utf8.Valid(value) {
		return false, withHint(fmt.Errorf("%s: the value for %s is not UTF-8 text", name, p), "set data.%s instead: data values are base64-encoded for you", p.Key)
	}
	if field == nil {
		field = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Field}, field)
	}
	if field.Kind != yaml.MappingNode {
		return false, fmt.Errorf("%s: %s of the Secret is not a mapping", name, p.Field)
	}
	if v := mapValue(field, p.Key); v != nil {
		if v.Kind == yaml.ScalarNode && v.Value == text {
			return false, nil
		}
		*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text, Style: scalarStyle(text)}
		return true, nil
	}
	field.Content = append(field.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text, Style: scalarStyle(text)})
	return true, nil
}

// scalarStyle keeps a value with line breaks in a literal block.
func scalarStyle(s string) yaml.Style {
	if strings.Contains(s, "\n") {
		return yaml.LiteralStyle
	}
	return 0
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// plainIndent is the indentation of the first nested mapping line of a
// YAML text (2 when there is none), so the re-emitted text keeps it.
func plainIndent(text []byte) int {
	for _, line := range strings.Split(string(text), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if n := len(line) - len(trimmed); n > 0 && trimmed != "" && !strings.HasPrefix(trimmed, "- ") && !strings.HasPrefix(trimmed, "#") {
			return n
		}
	}
	return 2
}
