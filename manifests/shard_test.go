package manifests

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// TestShardComponent builds the base with components/shard, as the
// component's comment says, and checks that it makes the blue shard's
// Deployment (its own name, selector and --shard=blue, the rest as the
// base's) and grants its Lease.
func TestShardComponent(t *testing.T) {
	mem := filesys.MakeFsInMemory()
	if err := copyInto(mem, "/manifests"); err != nil {
		t.Fatal(err)
	}
	overlay, _ := yaml.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
		"resources": []string{"../manifests"}, "components": []string{"../manifests/components/shard"},
	})
	if err := mem.WriteFile("/overlay/kustomization.yaml", overlay); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/overlay")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*unstructured.Unstructured{}
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			t.Fatal(err)
		}
		byName[u.GetKind()+"/"+u.GetName()] = u
	}
	if _, ok := byName["Deployment/seal-agent"]; ok {
		t.Error("the overlay holds the default shard's Deployment too; applying both would give it a second set of args")
	}
	dep := byName["Deployment/seal-agent-blue"]
	if dep == nil {
		t.Fatalf("no Deployment seal-agent-blue; objects: %v", slices.Sorted(maps.Keys(byName)))
	}
	sel, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "selector", "matchLabels")
	if diff := cmp.Diff(map[string]string{"app.kubernetes.io/name": "seal-agent", "seal.dev/shard": "blue"}, sel); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	want := []string{"--leader-elect", "--cluster-name=default", "--data-dir=/var/cache/seal-agent", "--max-fetch-size=268435456", "--max-object-size=33554432", "--metrics-bind-address=:8080",
		"--health-probe-bind-address=:8081", "--webhook-bind-address=:9292", "--log-format=json", "--shard=blue"}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	role := byName["Role/seal-agent-shard-blue"]
	if role == nil || byName["RoleBinding/seal-agent-shard-blue"] == nil {
		t.Fatal("no Role and RoleBinding seal-agent-shard-blue")
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	names, _, _ := unstructured.NestedStringSlice(rules[0].(map[string]any), "resourceNames")
	if diff := cmp.Diff([]string{"seal-agent-blue.seal.dev"}, names); diff != "" {
		t.Errorf("Lease names (-want +got):\n%s", diff)
	}
}
