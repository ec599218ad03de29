package crypto

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"

	"github.com/getsops/sops/v3"
	"go.yaml.in/yaml/v3"
)

// parseYAML decodes every document of a YAML file into nodes, checking what
// the sops store does not (or reports in words that may quote the input):
// syntax, that each document is a mapping, and duplicate keys. Errors carry
// line numbers and never the input.
func parseYAML(name string, data []byte) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, yamlError(name, err)
		}
		if err := checkMapping(name, len(docs), &doc); err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}

// checkMapping requires a document to be a mapping (or empty) and checks
// its nodes.
func checkMapping(name string, index int, doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fileErr(name, ErrMalformed, "document %d (line %d) is not a mapping of keys to values; a Kubernetes manifest starts with apiVersion and kind", index+1, root.Line)
	}
	c := nodeChecker{name: name}
	_, err := c.size(root, 0)
	return err
}

var (
	yamlLineRe   = regexp.MustCompile(`line (\d+)`)
	yamlDetailRe = regexp.MustCompile(`^[a-zA-Z ,()-]{1,100}$`)
)

// yamlError maps a go-yaml error to our words: its line number, and its
// message only when it is made of plain words (so it cannot quote input).
func yamlError(name string, err error) error {
	msg := err.Error()
	detail := strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRe.FindStringSubmatchIndex(detail); m != nil && m[0] == 0 {
		detail = strings.TrimPrefix(detail[m[1]:], ": ")
	}
	if !yamlDetailRe.MatchString(detail) {
		detail = "syntax error"
	}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		// go-yaml sometimes reports the line where the construct began.
		return fileErr(name, ErrMalformed, "invalid YAML near line %s: %s", m[1], detail)
	}
	return fileErr(name, ErrMalformed, "invalid YAML: %s", detail)
}

// checkJSON requires exactly one JSON object, reporting syntax errors by line.
func checkJSON(name string, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		return jsonError(name, data, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return fileErr(name, ErrMalformed, "the top level of a JSON manifest must be an object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fileErr(name, ErrMalformed, "invalid JSON at line %d: more than one top-level value; put one object in a file", lineAt(data, dec.InputOffset()))
	}
	return nil
}

func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fileErr(name, ErrMalformed, "invalid JSON at line %d", lineAt(data, syn.Offset))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fileErr(name, ErrMalformed, "invalid JSON: unexpected end of file")
	default:
		return fileErr(name, ErrMalformed, "invalid JSON")
	}
}

func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// checkDotenv finds the first line the sops dotenv store would refuse.
func checkDotenv(name string, data []byte) error {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' && !bytes.Contains(line, []byte("=")) {
			return fileErr(name, ErrMalformed, "invalid dotenv at line %d: expected KEY=VALUE", i+1)
		}
	}
	return nil
}

// validate checks the syntax of data in its format, with errors in our
// words. For YAML it also returns the parsed documents.
func validate(name string, f format, data []byte) ([]*yaml.Node, error) {
	switch f {
	case formatJSON:
		return nil, checkJSON(name, data)
	case formatDotenv:
		return nil, checkDotenv(name, data)
	default:
		return parseYAML(name, data)
	}
}

// loadPlain parses a plaintext file into sops tree branches.
func loadPlain(name string, f format, data []byte) (sops.Store, sops.TreeBranches, error) {
	docs, err := validate(name, f, data)
	if err != nil {
		return nil, nil, err
	}
	store := storeFor(f, data)
	if f == formatYAML && len(docs) == 0 {
		return store, nil, nil // only comments: the store would fail on it
	}
	branches, err := store.LoadPlainFile(data)
	if err != nil {
		return nil, nil, fileErr(name, ErrMalformed, "the %s could not be read as a SOPS tree (only string keys and mapping documents are supported)", f)
	}
	return store, branches, nil
}

// loadEncrypted parses an encrypted file into a sops tree with its metadata.
func loadEncrypted(name string, f format, data []byte) (sops.Store, *sops.Tree, error) {
	if _, err := validate(name, f, data); err != nil {
		return nil, nil, err
	}
	store := storeFor(f, data)
	tree, err := store.LoadEncryptedFile(data)
	if errors.Is(err, sops.MetadataNotFound) {
		return nil, nil, fileErr(name, ErrNotEncrypted, "it has no SOPS metadata; encrypt it with `seal encrypt`")
	}
	if err != nil {
		return nil, nil, fileErr(name, ErrMalformed, "its SOPS metadata is invalid (%s); restore the file from Git", metadataProblem(err))
	}
	return store, &tree, nil
}

// metadataProblem names what is wrong with SOPS metadata without quoting it.
func metadataProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "No keys found"):
		return "no keys"
	case strings.Contains(msg, "more than one of"):
		return "more than one of the encrypted/unencrypted suffix and regex settings"
	case strings.Contains(msg, "duplicate"):
		return "duplicate sops entry"
	case strings.Contains(msg, "not a mapping"):
		return "the sops entry is not a mapping"
	default:
		return "a field has the wrong type or format"
	}
}

// hasSopsKey reports whether any document has a top-level sops entry.
func hasSopsKey(store sops.Store, branches sops.TreeBranches) bool {
	for _, b := range branches {
		if store.HasSopsTopLevelKey(b) {
			return true
		}
	}
	return false
}
