package render

import (
	"bytes"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// emitFunc receives each object decoded from a file, with the 1-based index
// of its document and, for items of a List, the 1-based item index (0
// otherwise).
type emitFunc func(doc, item int, obj *unstructured.Unstructured) error

// decodeManifests decodes every YAML (or JSON) document in data into
// unstructured objects, expanding Lists and skipping empty documents. name
// is used only in errors; errors never quote the input (see yamlProblem), so
// decrypted data is safe to pass. A panic in the parser becomes ErrPanic.
func decodeManifests(name string, data []byte, emit emitFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %w while decoding (recovered)", name, ErrPanic)
		}
	}()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	docs, n := splitDocuments(data), 0
	for i, doc := range docs {
		if i == 0 && len(docs) > 1 && onlyComments(doc.data) {
			continue // whatever precedes a leading "---" is not a document
		}
		n++
		if err := decodeDocument(name, n, doc, emit); err != nil {
			return err
		}
	}
	return nil
}

// document is one YAML document of a file and the line it starts on
// (0-based), so parser line numbers can be given as file lines.
type document struct {
	data []byte
	line int
}

func onlyComments(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// splitDocuments cuts a YAML stream at its "---" and "..." markers. It
// returns sub-slices of data (no copies). Markers are recognized only at the
// start of a line, as the YAML spec says; a "---" line may carry content.
func splitDocuments(data []byte) []document {
	var docs []document
	start, pos, line, startLine := 0, 0, 0, 0
	for ; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if text := data[pos:next]; isMarker(text, "---") {
			docs = append(docs, document{data[start:pos], startLine})
			start, startLine = pos+3, line // content after "---" belongs to the next document
		} else if isMarker(text, "...") {
			docs = append(docs, document{data[start:pos], startLine})
			start, startLine = next, line+1
		}
		pos = next
	}
	return append(docs, document{data[start:], startLine})
}

func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	rest := line[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

func decodeDocument(name string, doc int, d document, emit emitFunc) error {
	if len(bytes.TrimSpace(d.data)) == 0 {
		return nil
	}
	j, err := yaml.YAMLToJSONStrict(d.data)
	if err != nil {
		return fmt.Errorf("%s: document %d: %w: %s", name, doc, ErrInvalidManifest, yamlProblem(err, d.line))
	}
	j = bytes.TrimSpace(j)
	if bytes.Equal(j, []byte("null")) {
		return nil // only comments
	}
	if len(j) == 0 || j[0] != '{' {
		return fmt.Errorf("%s: document %d: %w: not a Kubernetes object (expected a mapping)", name, doc, ErrInvalidManifest)
	}
	var m map[string]any
	if err := utiljson.Unmarshal(j, &m); err != nil {
		return fmt.Errorf("%s: document %d: %w: cannot decode", name, doc, ErrInvalidManifest)
	}
	obj := &unstructured.Unstructured{Object: m}
	if isList(obj) {
		return emitItems(name, doc, obj, emit)
	}
	if err := checkObject(obj); err != nil {
		return fmt.Errorf("%s: document %d: %w: %s", name, doc, ErrInvalidManifest, err)
	}
	return emit(doc, 0, obj)
}

// isList says whether obj is a List to expand: kind List, or a kind ending
// in "List" with items and no name (a real object always has a name).
func isList(obj *unstructured.Unstructured) bool {
	kind, _ := obj.Object["kind"].(string)
	if kind == "List" {
		return true
	}
	_, hasItems := obj.Object["items"]
	return strings.HasSuffix(kind, "List") && hasItems && obj.GetName() == ""
}

func emitItems(name string, doc int, list *unstructured.Unstructured, emit emitFunc) error {
	raw, found := list.Object["items"]
	if !found || raw == nil {
		return nil
	}
	items, ok := raw.([]any)
	if !ok {
		return fmt.Errorf("%s: document %d: %w: List items must be a sequence", name, doc, ErrInvalidManifest)
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: document %d item %d: %w: not a Kubernetes object", name, doc, i+1, ErrInvalidManifest)
		}
		obj := &unstructured.Unstructured{Object: m}
		if err := checkObject(obj); err != nil {
			return fmt.Errorf("%s: document %d item %d: %w: %s", name, doc, i+1, ErrInvalidManifest, err)
		}
		if err := emit(doc, i+1, obj); err != nil {
			return err
		}
		items[i] = nil
	}
	return nil
}

// checkObject requires what the API server needs to identify an object.
func checkObject(obj *unstructured.Unstructured) error {
	var missing []string
	for _, f := range [][]string{{"apiVersion"}, {"kind"}, {"metadata", "name"}} {
		v, found, err := unstructured.NestedString(obj.Object, f...)
		if err != nil || !found || v == "" {
			missing = append(missing, strings.Join(f, "."))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing or invalid %s", strings.Join(missing, ", "))
	}
	return nil
}
