package install

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/testbin"
)

// prevChartCommit holds chart 0.1.0, the last version with the CRD in
// crds/, which helm upgrade never touched.
const prevChartCommit = "55d54ee84d0846e9e459390f5320dd926c9823be"

// conventionValues sets every value charts are expected to have.
const conventionValues = `image: {tag: test}
podLabels: {team: platform}
podAnnotations: {example.com/scrape: "true"}
priorityClassName: system-cluster-critical
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector: {matchLabels: {app.kubernetes.io/name: seal-agent}}
podDisruptionBudget: {enabled: true, minAvailable: 1}
serviceMonitor: {enabled: true, labels: {release: prometheus}}
extraArgs: [--concurrency=8]
`

// serviceMonitorCRD stands in for the Prometheus Operator's CRD: the
// chart's ServiceMonitor needs the kind to be served.
const serviceMonitorCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {kind: ServiceMonitor, plural: servicemonitors, singular: servicemonitor, listKind: ServiceMonitorList}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

// TestHelmCLI drives the real helm binary (built from helm.sh/helm/v3
// v3.22.0 by testbin) against its own API server: lint, install of the
// previous chart version, upgrade to this one (once with
// --take-ownership, as the chart's README says), an upgrade that changes
// the CRD, and uninstall, which keeps the CRD and the GitSyncs.
func TestHelmCLI(t *testing.T) {
	helm, err := testbin.Path("helm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cluster.Start(cluster.Options{Scheme: kube.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	ctx := context.Background()
	work := t.TempDir()
	run := func(args ...string) (string, error) {
		cmd := exec.Command(helm, append(args, "--kubeconfig", c.Kubeconfig)...)
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(work, "cache"),
			"HELM_CONFIG_HOME="+filepath.Join(work, "config"), "HELM_DATA_HOME="+filepath.Join(work, "data"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	crdAnnotations := func() (map[string]string, map[string]string) {
		t.Helper()
		crd := getObject(ctx, t, c.Client, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gitsyncs.seal.dev")
		return crd.GetLabels(), crd.GetAnnotations()
	}

	t.Run("lint, and the schema rejects unknown values", func(t *testing.T) {
		mustRun("lint", chartDir, "--strict")
		out, err := run("lint", chartDir, "--set", "podLabel.team=x")
		if err == nil || !strings.Contains(out, "podLabel") {
			t.Errorf("helm lint accepted an unknown value: %v\n%s", err, out)
		}
		out, err = run("template", "x", chartDir, "--set", "image.tagg=v1")
		if err == nil || !strings.Contains(out, "tagg") {
			t.Errorf("helm template accepted image.tagg: %v\n%s", err, out)
		}
	})

	t.Run("a first install with gitSyncs needs the CRD installed first", func(t *testing.T) {
		out, err := run("install", "first", chartDir, "-n", "first", "--create-namespace",
			"--set-json", `gitSyncs=[{"name":"main","spec":{"url":"https://git.example/env.git"}}]`)
		if err == nil || !strings.Contains(out, `no matches for kind "GitSync" in version "seal.dev/v1alpha1"`) {
			t.Errorf("helm install with gitSyncs in a cluster without the CRD: %v\n%s", err, out)
		}
		mustRun("uninstall", "first", "-n", "first", "--ignore-not-found")
	})

	prev := extractChart(t, prevChartCommit, filepath.Join(work, "prev"))
	t.Run("install the previous version, upgrade to this one", func(t *testing.T) {
		mustRun("install", "seal-agent", prev, "-n", "seal-system", "--create-namespace", "--set", "image.tag=test")
		if labels, _ := crdAnnotations(); labels["app.kubernetes.io/managed-by"] == "Helm" {
			t.Fatalf("chart 0.1.0's CRD is already Helm's: %v", labels)
		}
		values := filepath.Join(work, "values.yaml")
		if err := os.WriteFile(values, []byte(conventionValues), 0o644); err != nil {
			t.Fatal(err)
		}
		createObject(ctx, t, c.Client, serviceMonitorCRD)
		out, err := run("upgrade", "seal-agent", chartDir, "-n", "seal-system", "-f", values)
		if err == nil || !strings.Contains(out, "CustomResourceDefinition \"gitsyncs.seal.dev\" in namespace \"\" exists and cannot be imported into the current release") {
			t.Errorf("a plain upgrade from 0.1.0: %v\n%s", err, out)
		}
		mustRun("upgrade", "seal-agent", chartDir, "-n", "seal-system", "-f", values, "--take-ownership")
		labels, ann := crdAnnotations()
		if labels["helm.sh/chart"] != "seal-agent-0.2.0" || ann["meta.helm.sh/release-name"] != "seal-agent" || ann["helm.sh/resource-policy"] != "keep" {
			t.Errorf("the CRD is not the release's after the upgrade: labels %v, annotations %v", labels, ann)
		}
		checkConventions(ctx, t, c.Client)
	})

	t.Run("an upgrade changes the CRD", func(t *testing.T) {
		next := copyChart(t, chartDir, filepath.Join(work, "next"))
		editYAML(t, filepath.Join(next, "Chart.yaml"), func(m map[string]any) { m["version"] = "0.2.1" })
		editYAML(t, filepath.Join(next, "files", "seal.dev_gitsyncs.yaml"), func(m map[string]any) {
			meta := m["metadata"].(map[string]any)
			ann, _ := meta["annotations"].(map[string]any)
			if ann == nil {
				ann = map[string]any{}
			}
			ann["seal.dev/test"] = "next version"
			meta["annotations"] = ann
		})
		mustRun("upgrade", "seal-agent", next, "-n", "seal-system", "--reuse-values")
		labels, ann := crdAnnotations()
		if labels["helm.sh/chart"] != "seal-agent-0.2.1" || ann["seal.dev/test"] != "next version" {
			t.Errorf("helm upgrade did not upgrade the CRD: labels %v, annotations %v", labels, ann)
		}
	})

	t.Run("uninstall keeps the CRD and the GitSyncs", func(t *testing.T) {
		createObject(ctx, t, c.Client, `apiVersion: seal.dev/v1alpha1
kind: GitSync
metadata: {name: main, namespace: seal-system}
spec: {url: "https://git.example/env.git"}
`)
		out := mustRun("uninstall", "seal-agent", "-n", "seal-system")
		if !strings.Contains(out, "These resources were kept due to the resource policy:\n[CustomResourceDefinition] gitsyncs.seal.dev\n") {
			t.Errorf("helm uninstall does not say it kept the CRD:\n%s", out)
		}
		getObject(ctx, t, c.Client, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gitsyncs.seal.dev")
		getObject(ctx, t, c.Client, "seal.dev/v1alpha1", "GitSync", "seal-system", "main")
		dep := &unstructured.Unstructured{}
		dep.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: "seal-system", Name: "seal-agent"}, dep); err == nil && dep.GetDeletionTimestamp() == nil {
			t.Errorf("the agent's Deployment is still there after helm uninstall")
		}
	})
}

// checkConventions checks the objects conventionValues asks for.
func checkConventions(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	dep := getObject(ctx, t, c, "apps/v1", "Deployment", "seal-system", "seal-agent")
	pod, _, _ := unstructured.NestedMap(dep.Object, "spec", "template")
	labels, _, _ := unstructured.NestedStringMap(pod, "metadata", "labels")
	ann, _, _ := unstructured.NestedStringMap(pod, "metadata", "annotations")
	prio, _, _ := unstructured.NestedString(pod, "spec", "priorityClassName")
	spread, _, _ := unstructured.NestedSlice(pod, "spec", "topologySpreadConstraints")
	containers, _, _ := unstructured.NestedSlice(pod, "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	if labels["team"] != "platform" || labels["app.kubernetes.io/name"] != "seal-agent" || ann["example.com/scrape"] != "true" {
		t.Errorf("pod labels %v, annotations %v", labels, ann)
	}
	if prio != "system-cluster-critical" || len(spread) != 1 || args[len(args)-1] != "--concurrency=8" {
		t.Errorf("priorityClassName %q, topologySpreadConstraints %v, args %v", prio, spread, args)
	}
	pdb := getObject(ctx, t, c, "policy/v1", "PodDisruptionBudget", "seal-system", "seal-agent")
	minAvailable, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable")
	selector, _, _ := unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	if diff := cmp.Diff(map[string]any{"minAvailable": int64(1), "selector": map[string]string{
		"app.kubernetes.io/name": "seal-agent", "app.kubernetes.io/instance": "seal-agent"}},
		map[string]any{"minAvailable": minAvailable, "selector": selector}); diff != "" {
		t.Errorf("PodDisruptionBudget (-want +got):\n%s", diff)
	}
	sm := getObject(ctx, t, c, "monitoring.coreos.com/v1", "ServiceMonitor", "seal-system", "seal-agent")
	port, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if sm.GetLabels()["release"] != "prometheus" || len(port) != 1 || port[0].(map[string]any)["port"] != "http-metrics" {
		t.Errorf("ServiceMonitor: labels %v, endpoints %v", sm.GetLabels(), port)
	}
}

func getObject(ctx context.Context, t *testing.T, c client.Client, apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		t.Fatalf("%s %s/%s: %v", kind, namespace, name, err)
	}
	return u
}

func createObject(ctx context.Context, t *testing.T, c client.Client, manifest string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, u); err != nil {
		t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	if u.GetKind() == "CustomResourceDefinition" {
		eventuallyServed(ctx, t, c, u)
	}
}

// eventuallyServed waits until a new CRD is established.
func eventuallyServed(ctx context.Context, t *testing.T, c client.Client, crd *unstructured.Unstructured) {
	t.Helper()
	eventually(t, 30*time.Second, "CRD "+crd.GetName()+" established", func() (bool, error) {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(crd.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKey{Name: crd.GetName()}, live); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
		for _, cond := range conds {
			m := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}

// extractChart writes charts/seal-agent as of commit into dir and returns
// the chart's directory.
func extractChart(t *testing.T, commit, dir string) string {
	t.Helper()
	cmd := exec.Command("git", "archive", "--format=tar", commit, "charts/seal-agent")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git archive %s: %v\n%s", commit, err, stderr.String())
	}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "charts", "seal-agent")
}

// copyChart copies the chart directory src to dst.
func copyChart(t *testing.T, src, dst string) string {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// editYAML rewrites a YAML file through edit.
func editYAML(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if data, err = yaml.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
