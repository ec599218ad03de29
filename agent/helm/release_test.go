package helm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func parseYAML(t *testing.T, text string) (*Release, error) {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return Parse("apps/shop.yaml", &unstructured.Unstructured{Object: m})
}

const releaseHead = "apiVersion: seal.dev/v1alpha1\nkind: HelmRelease\nmetadata:\n  name: shop\n  namespace: prod\n"

func TestParse(t *testing.T) {
	r, err := parseYAML(t, releaseHead+`spec:
  chart: {path: charts/app, version: 1.0.0}
  valuesFiles: [apps/shop-values.yaml]
  values: {replicas: 2}
  sealedValues: {allowKinds: [ConfigMap]}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Release{Name: "shop", Namespace: "prod", Spec: Spec{
		Chart:        ChartRef{Path: "charts/app", Version: "1.0.0"},
		ValuesFiles:  []string{"apps/shop-values.yaml"},
		Values:       map[string]any{"replicas": float64(2)},
		Hooks:        HooksSkip,
		SealedValues: SealedValues{AllowKinds: []string{"ConfigMap"}},
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if r.Identity() != "HelmRelease/prod/shop" {
		t.Errorf("Identity = %s", r.Identity())
	}
}

func TestParseOCI(t *testing.T) {
	r, err := parseYAML(t, releaseHead+"spec:\n  chart: {repository: oci://registry.example.com/charts, name: app, version: 1.0.0, plainHTTP: true, secretRef: {name: registry-creds}}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := ChartRef{Repository: "oci://registry.example.com/charts", Name: "app", Version: "1.0.0", PlainHTTP: true, SecretRef: &SecretRef{Name: "registry-creds"}}
	if diff := cmp.Diff(want, r.Spec.Chart); diff != "" {
		t.Errorf("spec.chart (-want +got):\n%s", diff)
	}
	if !r.Spec.Chart.IsOCI() {
		t.Error("IsOCI = false")
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no namespace", "apiVersion: seal.dev/v1alpha1\nkind: HelmRelease\nmetadata:\n  name: shop\nspec:\n  chart: {path: c, version: 1.0.0}\n", "metadata.namespace is required"},
		{"bad name", "apiVersion: seal.dev/v1alpha1\nkind: HelmRelease\nmetadata:\n  name: Shop_1\n  namespace: prod\nspec:\n  chart: {path: c, version: 1.0.0}\n", "metadata.name must be a release name"},
		{"no chart", releaseHead + "spec: {}\n", "spec.chart: missing"},
		{"no version", releaseHead + "spec:\n  chart: {path: charts/app}\n", "spec.chart.version: missing: charts are pinned"},
		{"a version range", releaseHead + "spec:\n  chart: {path: charts/app, version: ^1.0.0}\n", `"^1.0.0": want an exact version`},
		{"path and repository", releaseHead + "spec:\n  chart: {path: c, repository: https://x, name: a, version: 1.0.0}\n", "not both"},
		{"repository without name", releaseHead + "spec:\n  chart: {repository: https://charts.example.com, version: 1.0.0}\n", "spec.chart.name"},
		{"an ftp repository", releaseHead + "spec:\n  chart: {repository: ftp://charts.example.com, name: a, version: 1.0.0}\n", "or an oci:// registry repository"},
		{"plainHTTP for an https repository", releaseHead + "spec:\n  chart: {repository: https://charts.example.com, name: a, version: 1.0.0, plainHTTP: true}\n", "spec.chart.plainHTTP: only for an oci:// registry"},
		{"secretRef for a chart in the repository", releaseHead + "spec:\n  chart: {path: c, version: 1.0.0, secretRef: {name: creds}}\n", "spec.chart.secretRef: only for a chart repository or registry"},
		{"a bad secretRef", releaseHead + "spec:\n  chart: {repository: https://charts.example.com, name: a, version: 1.0.0, secretRef: {name: Bad_Name}}\n", "spec.chart.secretRef.name"},
		{"a typo", releaseHead + "spec:\n  chart: {path: c, version: 1.0.0}\n  valueFiles: [a.yaml]\n", `unknown field "valueFiles"`},
		{"unknown top field", releaseHead + "spec:\n  chart: {path: c, version: 1.0.0}\nstatus: {}\n", `unknown field "status"`},
		{"bad hooks", releaseHead + "spec:\n  chart: {path: c, version: 1.0.0}\n  hooks: Run\n", `spec.hooks "Run"`},
		{"widening to a Deployment", releaseHead + "spec:\n  chart: {path: c, version: 1.0.0}\n  sealedValues: {allowKinds: [Deployment]}\n", `"Deployment" cannot hold sealed values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseYAML(t, tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "apps/shop.yaml: HelmRelease") {
				t.Fatalf("Parse = %v, want an error naming apps/shop.yaml and %q", err, tt.want)
			}
		})
	}
}

func TestMergeValues(t *testing.T) {
	a := map[string]any{"db": map[string]any{"user": "a", "host": "h"}, "list": []any{1, 2}, "x": 1}
	b := map[string]any{"db": map[string]any{"user": "b"}, "list": []any{3}, "y": map[string]any{"z": 1}}
	want := map[string]any{"db": map[string]any{"user": "b", "host": "h"}, "list": []any{3}, "x": 1, "y": map[string]any{"z": 1}}
	if diff := cmp.Diff(want, MergeValues(a, b)); diff != "" {
		t.Errorf("MergeValues (-want +got):\n%s", diff)
	}
}
