package manifests_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/manifests"
)

// TestEveryRuleSaysWhy checks that each RBAC rule in the install YAML has a
// comment above it: a rule nobody can explain is a rule to remove.
func TestEveryRuleSaysWhy(t *testing.T) {
	rules := 0
	err := fs.WalkDir(manifests.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(manifests.FS(), path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			kind, list := field(doc.Content[0], "kind"), field(doc.Content[0], "rules")
			if kind == nil || (kind.Value != "Role" && kind.Value != "ClusterRole") || list == nil {
				continue
			}
			for i, rule := range list.Content {
				rules++
				if strings.TrimSpace(rule.HeadComment) == "" {
					t.Errorf("%s: %s rule %d (line %d) has no comment saying why it exists", path, kind.Value, i+1, rule.Line)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rules < 10 {
		t.Errorf("found %d rules in all; the walk missed files", rules)
	}
}

// field returns the value of key in a YAML mapping node, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
