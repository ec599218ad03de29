package manifests_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/manifests"
)

// objectIDs lists "Kind namespace/name" for each object, in order.
func objectIDs(t *testing.T, opts manifests.Options) []string {
	t.Helper()
	objs, err := manifests.Build(opts)
	if err != nil {
		t.Fatalf("Build(%+v): %v", opts, err)
	}
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
	}
	return ids
}

func TestBuildObjects(t *testing.T) {
	common := []string{
		"Namespace /seal-system",
		"CustomResourceDefinition /gitsyncs.seal.dev",
		"CustomResourceDefinition /receivers.seal.dev",
		"ServiceAccount seal-system/seal-agent",
		"Role seal-system/seal-agent",
		"ClusterRole /seal-agent",
		"ClusterRole /seal-agent-credentials",
	}
	tests := []struct {
		name string
		opts manifests.Options
		want []string
	}{
		{"cluster", manifests.Options{}, append(append([]string{}, common...),
			"RoleBinding seal-system/seal-agent",
			"ClusterRoleBinding /seal-agent",
			"ClusterRoleBinding /seal-agent-apply",
			"ClusterRoleBinding /seal-agent-credentials",
			"Service seal-system/seal-agent-metrics",
			"Service seal-system/seal-agent-webhook",
			"Deployment seal-system/seal-agent",
		)},
		{"tenant", manifests.Options{Tenant: true}, append(append([]string{}, common...),
			"ClusterRole /seal-agent-impersonate",
			"RoleBinding seal-system/seal-agent",
			"ClusterRoleBinding /seal-agent",
			"ClusterRoleBinding /seal-agent-impersonate",
			"Service seal-system/seal-agent-metrics",
			"Service seal-system/seal-agent-webhook",
			"Deployment seal-system/seal-agent",
			"ValidatingAdmissionPolicy /seal-agent-own-objects",
			"ValidatingAdmissionPolicy /seal-gitsync-tenant",
			"ValidatingAdmissionPolicyBinding /seal-agent-own-objects",
			"ValidatingAdmissionPolicyBinding /seal-gitsync-tenant",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, objectIDs(t, tt.opts)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildImage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		image   string
		want    string
		wantErr string
	}{
		{"", manifests.DefaultImage, ""},
		{"ghcr.io/seal-gitops/seal-agent:v0.1.0", "ghcr.io/seal-gitops/seal-agent:v0.1.0", ""},
		{"registry.example:5000/mirror/seal-agent:v1", "registry.example:5000/mirror/seal-agent:v1", ""},
		{"registry.example/seal-agent@" + digest, "registry.example/seal-agent@" + digest, ""},
		{"registry.example/seal-agent:v1@" + digest, "registry.example/seal-agent:v1@" + digest, ""},
		{"registry.example/seal-agent", "", "want repository:tag"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			objs, err := manifests.Build(manifests.Options{Image: tt.image})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Build: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var images []string
			for _, o := range objs {
				if o.GetKind() != "Deployment" {
					continue
				}
				containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
				for _, c := range containers {
					images = append(images, c.(map[string]any)["image"].(string))
				}
			}
			if diff := cmp.Diff([]string{tt.want}, images); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}
