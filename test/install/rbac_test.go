package install

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/seal-gitops/seal/manifests"
)

var manifestsDefaults = manifests.Options{}

// rbacOf normalises the RBAC objects among objs, keyed by "Kind
// namespace/name": each rule as one sorted line, rules sorted; bindings as
// their roleRef and sorted subjects.
func rbacOf(t *testing.T, objs []*unstructured.Unstructured) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, o := range objs {
		key := o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
		switch o.GetKind() {
		case "Role", "ClusterRole":
			var r rbacv1.ClusterRole // a Role's fields are a subset
			convert(t, o, &r)
			var rules []string
			for _, p := range r.Rules {
				rules = append(rules, strings.Join([]string{
					"groups=" + sorted(p.APIGroups), "resources=" + sorted(p.Resources),
					"names=" + sorted(p.ResourceNames), "verbs=" + sorted(p.Verbs), "urls=" + sorted(p.NonResourceURLs),
				}, " "))
			}
			slices.Sort(rules)
			out[key] = rules
		case "RoleBinding", "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			convert(t, o, &b)
			lines := []string{"roleRef=" + b.RoleRef.Kind + "/" + b.RoleRef.Name}
			for _, s := range b.Subjects {
				lines = append(lines, "subject="+s.Kind+" "+s.Namespace+"/"+s.Name)
			}
			slices.Sort(lines[1:])
			out[key] = lines
		}
	}
	return out
}

func sorted(s []string) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(s, ",")
}

func convert(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
}

// podSpec is the pod template's spec of the only Deployment in objs.
func podSpec(t *testing.T, objs []*unstructured.Unstructured) map[string]any {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			spec, _, err := unstructured.NestedMap(o.Object, "spec", "template", "spec")
			if err != nil {
				t.Fatal(err)
			}
			return spec
		}
	}
	t.Fatal("no Deployment")
	return nil
}
