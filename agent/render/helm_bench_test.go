package render

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/seal-gitops/seal/agent/helm"
)

// sealAgentChartTree is the project's own chart, charts/seal-agent (a
// mid-size chart: 14 templates, a CRD of its own, a values schema), and n
// HelmRelease files rendering it in apps/.
func sealAgentChartTree(t testing.TB, n int) fs.FS {
	t.Helper()
	files := map[string]string{}
	root := filepath.Join("..", "..", "charts", "seal-agent")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files["charts/seal-agent/"+filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		files[fmt.Sprintf("apps/agent-%02d.yaml", i)] = fmt.Sprintf(`apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: agent-%02d
  namespace: team-%02d
spec:
  chart: {path: charts/seal-agent, version: 0.2.0}
  values:
    image: {repository: ghcr.io/seal-gitops/seal-agent, tag: v0.2.0}
`, i, i)
	}
	return mapFS(files)
}

func helmBenchOptions() Options {
	opts := fakeOptions("apps")
	opts.Capabilities = func(context.Context) (helm.Capabilities, error) {
		return helm.Capabilities{KubeVersion: "v1.37.2"}, nil
	}
	return opts
}

// The project's own chart renders through a HelmRelease: its objects, in
// the release's namespace, owned by the release.
func TestRenderSealAgentChart(t *testing.T) {
	res, err := Render(t.Context(), sealAgentChartTree(t, 1), helmBenchOptions())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for i, o := range res.Objects {
		kinds[o.GetKind()]++
		if res.Owners[i] != "HelmRelease/team-00/agent-00" {
			t.Errorf("%s %s is owned by %q", o.GetKind(), o.GetName(), res.Owners[i])
		}
	}
	if kinds["Deployment"] != 1 || kinds["CustomResourceDefinition"] != 2 || kinds["ServiceAccount"] != 1 {
		t.Errorf("kinds rendered: %v", kinds)
	}
	if r := res.Releases[0]; r.Chart != "charts/seal-agent" || r.Version != "0.2.0" || r.Objects != len(res.Objects) {
		t.Errorf("release %+v", r)
	}
}

// BenchmarkRenderHelm20Releases renders 20 releases of charts/seal-agent:
// what Helm adds to a sync of such a path.
func BenchmarkRenderHelm20Releases(b *testing.B) {
	fsys := sealAgentChartTree(b, 20)
	opts := helmBenchOptions()
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(context.Background(), fsys, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Releases) != 20 {
			b.Fatalf("%d releases", len(res.Releases))
		}
	}
}
