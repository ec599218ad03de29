package apply

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ref identifies an object in an inventory.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the Ref of obj.
func RefOf(obj *unstructured.Unstructured) Ref {
	gvk := obj.GroupVersionKind()
	return Ref{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// GroupVersionKind returns the object's group, version and kind.
func (r Ref) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// String returns the stable inventory form apiVersion/Kind/namespace/name,
// e.g. "apps/v1/Deployment/web/api", "v1/Namespace//web". ParseRef reads it
// back.
func (r Ref) String() string {
	return r.GroupVersionKind().GroupVersion().String() + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Short returns Kind/namespace/name (Kind/name for cluster-scoped objects),
// the form that starts this package's error messages.
func (r Ref) Short() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// ParseRef parses the form that Ref.String returns.
func ParseRef(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	var r Ref
	switch len(parts) {
	case 4:
		r = Ref{Version: parts[0], Kind: parts[1], Namespace: parts[2], Name: parts[3]}
	case 5:
		r = Ref{Group: parts[0], Version: parts[1], Kind: parts[2], Namespace: parts[3], Name: parts[4]}
	default:
		return Ref{}, fmt.Errorf("inventory entry %q: want apiVersion/Kind/namespace/name", s)
	}
	if r.Version == "" || r.Kind == "" || r.Name == "" || (len(parts) == 5 && r.Group == "") {
		return Ref{}, fmt.Errorf("inventory entry %q: empty group, version, kind or name", s)
	}
	return r, nil
}

// identity is the Ref without its version: the same object served in
// another version is still the same object.
func (r Ref) identity() string {
	return r.Group + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name
}

func (r Ref) isSecret() bool { return r.Group == "" && r.Kind == "Secret" }

func (r Ref) isNamespace() bool { return r.Group == "" && r.Kind == "Namespace" }

func (r Ref) isCRD() bool {
	return r.Group == "apiextensions.k8s.io" && r.Kind == "CustomResourceDefinition"
}

// Stale returns the Refs of previous that current no longer holds, in the
// order of previous. Versions are ignored: an object whose apiVersion
// changed in Git is the same object and not stale.
func Stale(previous, current []Ref) []Ref {
	keep := make(map[string]bool, len(current))
	for _, r := range current {
		keep[r.identity()] = true
	}
	var stale []Ref
	for _, r := range previous {
		if !keep[r.identity()] {
			stale = append(stale, r)
		}
	}
	return stale
}

// SortRefs sorts refs by their string form.
func SortRefs(refs []Ref) {
	slices.SortFunc(refs, func(a, b Ref) int { return cmp.Compare(a.String(), b.String()) })
}
