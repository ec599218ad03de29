package apply

import (
	"errors"
	"fmt"
	"maps"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// item is one object of a set on its way through Apply.
type item struct {
	ref  Ref
	obj  *unstructured.Unstructured // normalized copy: namespace, labels
	hash [32]byte
	// crd is the decoded object when it is a CustomResourceDefinition.
	crd *apiextensionsv1.CustomResourceDefinition

	write  bool   // a request is needed (detect)
	why    reason // why it is written (detect)
	dried  bool   // a dry-run was sent
	exists bool   // the dry-run found the object in the cluster
	// live is the object's metadata as claim read it, when it is ours and
	// needs its field manager migrated.
	live   *metav1.PartialObjectMetadata
	dryRV  string // resourceVersion the dry-run returned
	newRV  string // resourceVersion the apply returned
	action Action // set once applied
}

func (it *item) groupKind() schema.GroupKind { return it.ref.GroupVersionKind().GroupKind() }

// prepare checks the set and returns normalized copies of its objects:
// TargetNamespace set on namespaced objects without one, namespace removed
// from cluster-scoped ones, Options.Labels added, hashed.
func (a *Applier) prepare(objects []*unstructured.Unstructured) ([]*item, error) {
	crds := map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition{}
	var rejected ObjectErrors
	reject := func(ref Ref, format string, args ...any) {
		rejected = append(rejected, &ObjectError{Ref: ref, Err: fmt.Errorf(format, args...)})
	}
	for i, obj := range objects {
		if obj == nil {
			reject(Ref{Name: fmt.Sprintf("#%d", i)}, "nil object")
			continue
		}
		if ref := RefOf(obj); ref.isCRD() {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, crd); err != nil {
				reject(ref, "decoding: %w", err)
				continue
			}
			crds[schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}] = crd
		}
	}
	items := make([]*item, 0, len(objects))
	seen := map[string]bool{}
	scopes := map[schema.GroupVersionKind]bool{} // namespaced, per kind
	for i, obj := range objects {
		if obj == nil {
			continue
		}
		ref := RefOf(obj)
		if ref.Version == "" || ref.Kind == "" || ref.Name == "" {
			reject(Ref{Kind: ref.Kind, Namespace: ref.Namespace, Name: fmt.Sprintf("#%d", i)}, "apiVersion, kind and metadata.name are required")
			continue
		}
		namespaced, known := scopes[ref.GroupVersionKind()]
		var err error
		if !known {
			namespaced, err = a.namespaced(ref.GroupVersionKind(), crds)
		}
		if err != nil {
			if !meta.IsNoMatchError(err) {
				return nil, &ObjectError{Ref: ref, Err: fmt.Errorf("looking up the kind: %w", err)}
			}
			reject(ref, "kind %s of %s is not served by the cluster nor defined by a CRD in the set", ref.Kind, obj.GetAPIVersion())
			continue
		}
		scopes[ref.GroupVersionKind()] = namespaced
		it := &item{obj: obj.DeepCopy()}
		switch {
		case !namespaced:
			it.obj.SetNamespace("")
		case it.obj.GetNamespace() == "":
			it.obj.SetNamespace(a.opts.TargetNamespace)
		}
		it.ref = RefOf(it.obj)
		if namespaced && it.ref.Namespace == "" {
			reject(it.ref, "namespaced object without a namespace, and no target namespace is set")
			continue
		}
		if seen[it.ref.identity()] {
			reject(it.ref, "appears more than once in the set")
			continue
		}
		seen[it.ref.identity()] = true
		labels := it.obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, a.opts.Labels)
		it.obj.SetLabels(labels)
		if it.hash, err = a.hash(it.obj); err != nil {
			reject(it.ref, "%w", err)
			continue
		}
		if it.ref.isCRD() {
			it.crd = crds[crdKind(it.obj)]
		}
		items = append(items, it)
	}
	if len(rejected) > 0 {
		sortErrors(rejected)
		return nil, &ValidationError{Objects: rejected}
	}
	return items, nil
}

// crdKind returns the group and kind a CRD object defines.
func crdKind(obj *unstructured.Unstructured) schema.GroupKind {
	group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
	return schema.GroupKind{Group: group, Kind: kind}
}

// namespaced tells the scope of a kind: from a CRD of the set if one
// defines it (the cluster may not serve it yet), else from the REST mapper.
func (a *Applier) namespaced(gvk schema.GroupVersionKind, crds map[schema.GroupKind]*apiextensionsv1.CustomResourceDefinition) (bool, error) {
	if crd, ok := crds[gvk.GroupKind()]; ok {
		return crd.Spec.Scope == apiextensionsv1.NamespaceScoped, nil
	}
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return false, err
	}
	if m.Scope == nil {
		return false, errors.New("REST mapping without a scope")
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// split returns the first stage (CRDs and Namespaces) and the rest.
func split(items []*item) (first, second []*item) {
	for _, it := range items {
		if it.ref.isCRD() || it.ref.isNamespace() {
			first = append(first, it)
		} else {
			second = append(second, it)
		}
	}
	return first, second
}

// toWrite returns the items that need a request.
func toWrite(items []*item) []*item {
	var out []*item
	for _, it := range items {
		if it.write {
			out = append(out, it)
		}
	}
	return out
}
