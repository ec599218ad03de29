package helm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/crypto"
)

func testRelease(hooks string) *Release {
	return &Release{Name: "shop", Namespace: "prod", Spec: Spec{Chart: ChartRef{Path: "charts/app", Version: "1.0.0"}, Hooks: hooks}}
}

const testToken = crypto.TokenPrefix + "abcdefghijklmnopqrstuvwxyz234567"

func sources(r *Rendered) []string {
	var out []string
	for _, m := range r.Manifests {
		out = append(out, m.Source)
	}
	return out
}

func TestTemplate(t *testing.T) {
	caps := Capabilities{KubeVersion: "v1.37.2", APIVersions: []string{"example.com/v1/Widget"}}
	tests := []struct {
		name         string
		hooks        string
		values       map[string]any
		want         []string
		hooksSkipped int
		contains     []string
	}{
		{"sealed password as a token, hooks skipped", HooksSkip,
			map[string]any{"db": map[string]any{"password": testToken}},
			[]string{"app/templates/secret.yaml", "app/charts/sub/templates/configmap.yaml", "app/templates/configmap.yaml", "app/templates/deployment.yaml"}, 2,
			[]string{`password: "` + b64(testToken) + `"`, `kubeVersion: "v1.37.2"`, `widgets: "served"`, "checksum/secret: ", "from the dependency"}},
		{"install hooks applied, test hook not", HooksApply, nil,
			[]string{"app/charts/sub/templates/configmap.yaml", "app/templates/configmap.yaml", "app/templates/deployment.yaml", "app/templates/hook.yaml"}, 1,
			[]string{"shop-migrate"}},
		{"dependency disabled", HooksSkip, map[string]any{"sub": map[string]any{"enabled": false}},
			[]string{"app/templates/configmap.yaml", "app/templates/deployment.yaml"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := LoadFiles("charts/app", chartFiles(t, "app"), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Template(t.Context(), ch, testRelease(tt.hooks), tt.values, caps, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sources(r)); diff != "" {
				t.Errorf("templates (-want +got):\n%s", diff)
			}
			if r.HooksSkipped != tt.hooksSkipped {
				t.Errorf("%d hooks skipped, want %d", r.HooksSkipped, tt.hooksSkipped)
			}
			var all strings.Builder
			for _, m := range r.Manifests {
				all.WriteString(m.Content)
			}
			for _, c := range tt.contains {
				if !strings.Contains(all.String(), c) {
					t.Errorf("the render lacks %q:\n%s", c, all.String())
				}
			}
		})
	}
}

func TestTemplateRefuses(t *testing.T) {
	cluster := Capabilities{KubeVersion: "v1.37.2"}
	tests := []struct {
		name   string
		values map[string]any
		caps   Capabilities
		lim    Limits
		want   string
	}{
		{"a template that fails quoting a sealed value", map[string]any{"failWith": testToken}, cluster, Limits{}, "refusing value (sealed value)"},
		{"values against the schema", map[string]any{"replicas": "many"}, Capabilities{}, Limits{}, "replicas"},
		{"a value the schema does not know", map[string]any{"db": map[string]any{"pasword": "x"}}, Capabilities{}, Limits{}, "pasword"},
		{"a cluster older than the chart allows", nil, Capabilities{KubeVersion: "v1.20.0"}, Limits{}, "kubeVersion"},
		{"manifests over the cap", nil, cluster, Limits{MaxManifestSize: 100}, "over the limit of 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := LoadFiles("charts/app", chartFiles(t, "app"), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Template(t.Context(), ch, testRelease(HooksSkip), tt.values, tt.caps, tt.lim)
			if !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "HelmRelease prod/shop: ") {
				t.Fatalf("Template = %v, want ErrTemplate naming the release and %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the error holds a token: %v", err)
			}
		})
	}
}

func TestTemplateEndsWithItsContext(t *testing.T) {
	ch, err := LoadFiles("charts/app", chartFiles(t, "app"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	_, err = Template(ctx, ch, testRelease(HooksSkip), nil, Capabilities{}, Limits{})
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("Template with an ended context = %v after %v", err, time.Since(start))
	}
}
