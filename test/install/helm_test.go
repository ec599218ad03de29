package install

import (
	"bufio"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/yaml"
)

var (
	chartDir = filepath.Join(root, "charts", "seal-agent")
	// kubeVersion is the test cluster's; the chart requires 1.30 or later.
	kubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
)

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// renderChart renders the chart as `helm template --include-crds` would.
func renderChart(t *testing.T, name, namespace string, vals map[string]any) (*release.Release, error) {
	t.Helper()
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	in := action.NewInstall(cfg)
	in.ClientOnly, in.DryRun, in.IncludeCRDs, in.Replace = true, true, true, true
	in.ReleaseName, in.Namespace, in.KubeVersion = name, namespace, kubeVersion
	return in.Run(loadChart(t), vals)
}

// installChart installs the chart into the test cluster with the Helm SDK,
// as `helm install` would.
func installChart(t *testing.T, name, namespace string, vals map[string]any) *release.Release {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &kube.Kubeconfig, &namespace
	cfg := &action.Configuration{}
	if err := cfg.Init(flags, namespace, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace = name, namespace
	rel, err := in.Run(loadChart(t), vals)
	if err != nil {
		t.Fatalf("helm install %s: %v", name, err)
	}
	return rel
}

// objects parses a rendered manifest.
func objects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading the rendered chart: %v", err)
		}
		data, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("parsing the rendered chart: %v\n%s", err, doc)
		}
		if string(data) == "null" {
			continue // a document of comments only
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			t.Fatalf("parsing the rendered chart: %v\n%s", err, doc)
		}
		out = append(out, u)
	}
}
