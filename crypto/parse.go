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
// syntax, that each document is a mapping, duplicate keys, aliases, and the
// size limits. Errors carry line numbers and never the input.
func parseYAML(name string, data []byte) ([]*yaml.Node, error) {
	var docs []*yaml.Node
	c := nodeChecker{name: name}
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
		if len(docs) == maxDocuments {
			return nil, fileErr(name, ErrTooLarge, "more than %d YAML documents; split the file", maxDocuments)
		}
		if err := c.document(len(docs), &doc); err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}

var (
	yamlLineRe   = regexp.MustCompile(`line (\d+)`)
	yamlDetailRe = regexp.MustCompile(`^[a-zA-Z0-9 ,()-]{1,100}$`)
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
