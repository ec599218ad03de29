package apply

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// memo is what the Applier remembers of one object it applied.
type memo struct {
	hash [32]byte // of the desired object sent
	rv   string   // resourceVersion the apply returned
}

// reason says why an object is written.
type reason int

const (
	whyUnknown reason = iota // not in memory: first sync, or new in the set
	whyChanged               // the desired object changed
	whyDrift                 // the live object changed or disappeared
)

// outcome turns the dry-run and apply resourceVersions into an Action.
func (it *item) outcome() Action {
	switch {
	case !it.exists && it.why == whyDrift:
		return DriftCorrected
	case !it.exists:
		return Created
	case it.newRV == it.dryRV:
		return Unchanged
	case it.why == whyDrift:
		return DriftCorrected
	default:
		return Configured
	}
}

// hash is a keyed hash of the desired object (json.Marshal sorts map keys,
// so equal objects hash equal).
func (a *Applier) hash(obj *unstructured.Unstructured) ([32]byte, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return [32]byte{}, fmt.Errorf("encoding: %w", err)
	}
	mac := hmac.New(sha256.New, a.salt)
	mac.Write(data)
	var sum [32]byte
	copy(sum[:], mac.Sum(nil))
	return sum, nil
}

// listKey is one LIST: a kind in a namespace ("" for cluster scope).
type listKey struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// detect decides which items need a request. An item is skipped when its
// desired hash equals the remembered one and the live resourceVersion,
// read with one metadata-only LIST per kind and namespace, equals the one
// the last apply returned. Only kinds and namespaces with remembered
// objects are listed.
//
// A controller that writes an object's status after our apply (a
// Deployment's, say) moves its resourceVersion: the next sync takes that
// for drift, applies, gets Unchanged and remembers the new version, so the
// object costs one extra dry-run and apply per change, not per sync.
func (a *Applier) detect(ctx context.Context, items []*item) error {
	var keys []listKey
	byKey := map[listKey]map[string]string{}
	for _, it := range items {
		if _, ok := a.memory[it.ref.String()]; !ok {
			continue
		}
		k := listKey{it.ref.GroupVersionKind(), it.ref.Namespace}
		if _, ok := byKey[k]; !ok {
			byKey[k] = nil
			keys = append(keys, k)
		}
	}
	live := make([]map[string]string, len(keys))
	errs := parallel(ctx, len(keys), a.opts.Concurrency, func(ctx context.Context, i int) error {
		var err error
		live[i], err = a.listLive(ctx, keys[i])
		return err
	})
	if err := firstError(ctx, errs); err != nil {
		return err
	}
	for i, k := range keys {
		byKey[k] = live[i]
	}
	for _, it := range items {
		m, ok := a.memory[it.ref.String()]
		if !ok {
			it.write, it.why = true, whyUnknown
			continue
		}
		rv, found := byKey[listKey{it.ref.GroupVersionKind(), it.ref.Namespace}][it.ref.Name]
		switch {
		case m.hash != it.hash:
			it.write, it.why = true, whyChanged
		case !found || rv != m.rv:
			it.write, it.why = true, whyDrift
		}
	}
	return nil
}

// listLive returns name → resourceVersion of the live objects of one kind
// in one namespace that carry Options.Labels.
func (a *Applier) listLive(ctx context.Context, k listKey) (map[string]string, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(k.gvk.GroupVersion().WithKind(k.gvk.Kind + "List"))
	opts := []client.ListOption{client.MatchingLabels(a.opts.Labels)}
	if k.namespace != "" {
		opts = append(opts, client.InNamespace(k.namespace))
	}
	if err := a.client.List(ctx, list, opts...); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil // the kind is gone, and its objects with it
		}
		where := "cluster-wide"
		if k.namespace != "" {
			where = "in namespace " + k.namespace
		}
		return nil, fmt.Errorf("listing %s %s: %w", k.gvk.Kind, where, err)
	}
	rvs := make(map[string]string, len(list.Items))
	for _, o := range list.Items {
		rvs[o.Name] = o.ResourceVersion
	}
	return rvs, nil
}
