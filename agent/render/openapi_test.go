package render

import (
	"context"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A kustomization's custom OpenAPI schema lives in kyaml's process-wide
// state; it must not change how the next, unrelated render merges patches.
func TestOpenAPISchemaDoesNotLeakBetweenRenders(t *testing.T) {
	patch := "patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: web}\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            env: [{name: A, value: b}]\n"
	// The schema knows Deployments but not their containers' merge key, so
	// a strategic merge patch replaces the container list.
	schema := `{"definitions": {"io.k8s.api.apps.v1.Deployment": {"type": "object", "properties": {"spec": {"type": "object"}},` +
		` "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment", "version": "v1"}]}}}`
	polluter := mapFS(map[string]string{
		"kustomization.yaml": "resources: [d.yaml]\nopenapi: {path: schema.json}\n" + patch,
		"d.yaml":             kDeploy,
		"schema.json":        schema,
	})
	victim := mapFS(map[string]string{"kustomization.yaml": "resources: [d.yaml]\n" + patch, "d.yaml": kDeploy})
	image := func(res *Result) string {
		cs, _, _ := unstructured.NestedSlice(res.Objects[0].Object, "spec", "template", "spec", "containers")
		if len(cs) != 1 {
			t.Fatalf("%d containers", len(cs))
		}
		img, _ := cs[0].(map[string]any)["image"].(string)
		return img
	}
	for i, step := range []struct {
		fsys      fstest.MapFS
		wantImage string
	}{{victim, "nginx"}, {polluter, ""}, {victim, "nginx"}} {
		res, err := Render(context.Background(), step.fsys, fakeOptions(""))
		if err != nil {
			t.Fatal(err)
		}
		if got := image(res); got != step.wantImage {
			t.Fatalf("render %d: container image %q; want %q", i+1, got, step.wantImage)
		}
	}
}
