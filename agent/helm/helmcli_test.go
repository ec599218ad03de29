package helm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/test/testbin"
)

// TestTemplateMatchesHelmCLI renders charts with Template and with the
// helm CLI (built from its module by test/testbin) and wants the same
// documents in the same order: Template does the client-only part of
// Helm's install itself rather than importing Helm's action package.
func TestTemplateMatchesHelmCLI(t *testing.T) {
	helm, err := testbin.Path("helm")
	if err != nil {
		t.Fatal(err)
	}
	caps := Capabilities{KubeVersion: "v1.37.2", APIVersions: []string{"example.com/v1/Widget"}}
	tests := []struct {
		chart  string
		hooks  string
		values map[string]any
	}{
		{"full", HooksSkip, nil},
		{"full", HooksApply, map[string]any{"greeting": "hi", "ports": []any{8080}}},
		{"app", HooksSkip, map[string]any{"db": map[string]any{"password": testToken}}},
		{"app", HooksSkip, map[string]any{"sub": map[string]any{"enabled": false}}},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.hooks, func(t *testing.T) {
			ch, err := LoadFiles("charts/"+tt.chart, chartFiles(t, tt.chart), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Template(t.Context(), ch, testRelease(tt.hooks), tt.values, caps, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var ours []string
			for _, m := range r.Manifests {
				ours = append(ours, m.Content)
			}
			values, err := yaml.Marshal(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			valuesFile := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(valuesFile, values, 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"template", "shop", filepath.Join("testdata", "charts", tt.chart), "--namespace", "prod",
				"--include-crds", "--kube-version", caps.KubeVersion, "--api-versions", caps.APIVersions[0], "-f", valuesFile}
			if tt.hooks == HooksSkip {
				args = append(args, "--no-hooks")
			}
			cmd := exec.Command(helm, args...)
			cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
			out, err := cmd.Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
				}
				t.Fatal(err)
			}
			want := documents(t, string(out))
			if len(want) == 0 {
				t.Fatal("helm rendered nothing")
			}
			if diff := cmp.Diff(want, documents(t, strings.Join(ours, "\n---\n"))); diff != "" {
				t.Errorf("Template and helm template differ (-helm +Template):\n%s", diff)
			}
		})
	}
}

// documents decodes every non-empty YAML document of s, in order.
func documents(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(s), 4096)
	for {
		var doc map[string]any
		err := d.Decode(&doc)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("decoding %q: %v", s, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}
