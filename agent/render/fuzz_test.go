package render

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzDecodeManifests feeds arbitrary bytes to the plain-mode decoder. It
// must not panic (a recovered panic counts as a failure), every object it
// emits must be complete and hold only JSON types, and its errors must name
// the file and quote nothing from the input.
func FuzzDecodeManifests(f *testing.F) {
	seeds := []string{
		cmYAML,
		cmYAML + "---\n" + secretYAML,
		"---\n# c\n---\napiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(cmYAML), "\n", "\n  ") + "\n",
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"},"data":{"n":"1"}}`,
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: SECRETVALUE}\n  bad: [\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a, x: *m}\n",
		"a: &a [x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n",
		"--- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}\n...\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\ndata: {yes: on, 1: 2, .inf: -.inf, t: 2001-12-14}\n",
		"\xef\xbb\xbfapiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: crlf}\r\n",
		"apiVersion: v1\nkind: FooList\nitems: [{apiVersion: v1, kind: Foo, metadata: {name: SECRETVALUE}}]\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := decodeManifests("fuzz/in.yaml", data, func(doc, item int, obj *unstructured.Unstructured) error {
			if doc < 1 || item < 0 {
				t.Fatalf("bad indexes doc=%d item=%d", doc, item)
			}
			if err := checkObject(obj); err != nil {
				t.Fatalf("emitted an incomplete object: %v", err)
			}
			_ = obj.DeepCopy() // panics on a non-JSON type such as int or map[any]any
			return nil
		})
		if err == nil {
			return
		}
		if errors.Is(err, ErrPanic) {
			t.Fatalf("the decoder panicked: %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "fuzz/in.yaml: ") {
			t.Fatalf("error does not start with the file: %q", msg)
		}
		if strings.Contains(msg, "SECRETVALUE") {
			t.Fatalf("error quotes the input: %q", msg)
		}
	})
}
