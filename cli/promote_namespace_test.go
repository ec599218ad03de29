package cli

import (
	"strings"
	"testing"
)

// TestNamespaceMapApply: only mapped metadata.namespace values (and a
// kustomization's namespace) change, byte for byte in place; everything
// else, comments and quoting included, stays.
func TestNamespaceMapApply(t *testing.T) {
	m := namespaceMap{"staging": "prod"}
	tests := []struct {
		name, file, in, want string
		count                int
	}{{
		name:  "bare value, comments kept",
		file:  "db.yaml",
		in:    "# the db\napiVersion: v1\nkind: Secret\nmetadata:\n  name: staging # not a namespace\n  namespace: staging # here\ndata:\n  staging: c3RhZ2luZw==\n",
		want:  "# the db\napiVersion: v1\nkind: Secret\nmetadata:\n  name: staging # not a namespace\n  namespace: prod # here\ndata:\n  staging: c3RhZ2luZw==\n",
		count: 1,
	}, {
		name:  "quoted values in several documents",
		file:  "all.yaml",
		in:    "kind: ConfigMap\nmetadata: {name: a, namespace: \"staging\"}\n---\nkind: Service\nmetadata:\n  namespace: 'staging'\n---\nkind: Pod\nmetadata:\n  namespace: other\n",
		want:  "kind: ConfigMap\nmetadata: {name: a, namespace: \"prod\"}\n---\nkind: Service\nmetadata:\n  namespace: 'prod'\n---\nkind: Pod\nmetadata:\n  namespace: other\n",
		count: 2,
	}, {
		name:  "JSON",
		file:  "s.json",
		in:    `{"kind": "Secret", "metadata": {"namespace": "staging", "name": "x"}}`,
		want:  `{"kind": "Secret", "metadata": {"namespace": "prod", "name": "x"}}`,
		count: 1,
	}, {
		name:  "kustomization namespace field",
		file:  "app/kustomization.yaml",
		in:    "namespace: staging\nresources: [db.yaml]\n",
		want:  "namespace: prod\nresources: [db.yaml]\n",
		count: 1,
	}, {
		name:  "a namespace field of another kind is not a namespace",
		file:  "policy.yaml",
		in:    "kind: Thing\nnamespace: staging\nmetadata:\n  name: t\n",
		want:  "kind: Thing\nnamespace: staging\nmetadata:\n  name: t\n",
		count: 0,
	}, {
		name:  "multi-byte characters before the value",
		file:  "cm.yaml",
		in:    "kind: ConfigMap\nmetadata: {name: \"héé\", namespace: staging}\n",
		want:  "kind: ConfigMap\nmetadata: {name: \"héé\", namespace: prod}\n",
		count: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, n, err := m.apply(tt.file, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want || n != tt.count {
				t.Errorf("apply = %d changes\n%s\nwant %d\n%s", n, out, tt.count, tt.want)
			}
		})
	}
}

func TestNamespaceMapErrors(t *testing.T) {
	if _, err := parseNamespaceMap(map[string]string{"staging": "Prod_1"}); err == nil || !strings.Contains(err.Error(), `--namespace-map staging=Prod_1: "Prod_1" is not a namespace name`) {
		t.Errorf("bad target namespace: %v", err)
	}
	_, _, err := namespaceMap{"staging": "prod"}.apply("x.yaml", []byte("metadata:\n  namespace: \"stag\\x69ng\"\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml: document 1, line 2") {
		t.Errorf("escaped namespace: %v", err)
	}
	_, _, err = namespaceMap{"staging": "prod"}.apply("bad.yaml", []byte("metadata: [\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("broken YAML: %v", err)
	}
}
