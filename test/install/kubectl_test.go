package install

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/manifests"
)

// TestKubectlKustomize checks that kubectl's own kustomize renders
// manifests/ (and an overlay adding components/tenant) into exactly the
// objects manifests.Build returns, so `kubectl apply -k` and `seal
// bootstrap` install the same thing.
func TestKubectlKustomize(t *testing.T) {
	overlay := t.TempDir()
	base, err := filepath.Rel(overlay, filepath.Join(root, "manifests")) // kustomize wants it relative
	if err != nil {
		t.Fatal(err)
	}
	kustomization := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
		"resources: [" + base + "]\ncomponents: [" + filepath.Join(base, "components", "tenant") + "]\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		dir  string
		opts manifests.Options
	}{
		{"cluster mode", filepath.Join(root, "manifests"), manifests.Options{}},
		{"tenant mode", overlay, manifests.Options{Tenant: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := kube.Kubectl(context.Background(), "kustomize", tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(byID(build(t, tt.opts)), byID(objects(t, out))); diff != "" {
				t.Errorf("objects (-manifests.Build +kubectl kustomize):\n%s", diff)
			}
		})
	}
}

func byID(objs []*unstructured.Unstructured) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, o := range objs {
		m[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = o.Object
	}
	return m
}
