package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// HandOverAnnotation on a live object lets another owner take it over: its
// value must be the new owner's Options.Owner (for a GitSync,
// "<namespace>/<name>"). Only someone who may write the object can set
// it, so an owner cannot be robbed by a tenant who merely names the object
// in Git.
const HandOverAnnotation = "seal.dev/hand-over-to"

// OwnedError means an object to apply carries the ownership labels of
// another owner and does not hand itself over.
type OwnedError struct {
	Ref Ref
	// Owner describes the other owner (Options.DescribeOwner of its labels).
	Owner string
	// Labels are the other owner's label values.
	Labels map[string]string
}

func (e *OwnedError) Error() string {
	return fmt.Sprintf("owned by %s: refusing to take it over; to hand it over, annotate the live object %s=<new owner>", e.Owner, HandOverAnnotation)
}

// claim runs before anything is written. For every item about to be
// written whose live object carries ownership labels, it refuses the whole
// set when another owner holds the object (an *ValidationError of
// *OwnedError), and moves the fields that a legacy field manager applied
// on our own objects to Options.FieldManager (migrate). Live objects are
// read with one metadata LIST per kind and namespace, only for the kinds
// and namespaces of items to write, so a sync that writes nothing reads
// nothing here; where only a few items of a kind and namespace are
// written (a one-object change), each is read with a GET instead, so a
// change does not list the whole kind.
func (a *Applier) claim(ctx context.Context, items []*item) error {
	var check []*item
	for _, it := range toWrite(items) {
		if it.exists || !it.dried { // objects the dry-run found, or not dry-run yet
			check = append(check, it)
		}
	}
	items = check
	var keys []listKey
	byKey := map[listKey][]*item{}
	for _, it := range items {
		k := listKey{it.ref.GroupVersionKind(), it.ref.Namespace}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], it)
	}
	live := make([]map[string]metav1.PartialObjectMetadata, len(keys))
	errs := parallel(ctx, len(keys), a.opts.Concurrency, func(ctx context.Context, i int) error {
		var err error
		if its := byKey[keys[i]]; len(its) <= maxClaimGets {
			live[i], err = a.getOwned(ctx, keys[i], its)
		} else {
			live[i], err = a.listOwned(ctx, keys[i])
		}
		return err
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var refused ObjectErrors
	var migrate []*item
	for i, k := range keys {
		if errs[i] != nil {
			for _, it := range byKey[k] {
				refused = append(refused, &ObjectError{Ref: it.ref, Err: fmt.Errorf("checking its owner: %w", errs[i])})
			}
			continue
		}
		for _, it := range byKey[k] {
			obj, ok := live[i][it.ref.Name]
			if !ok {
				continue
			}
			switch {
			case a.ownedByUs(obj.Labels):
				if a.hasLegacyManager(obj.ManagedFields) {
					it.live = &obj
					migrate = append(migrate, it)
				}
			case obj.Annotations[HandOverAnnotation] == a.opts.Owner && a.opts.Owner != "":
				// Handed over to us explicitly.
			default:
				theirs := map[string]string{}
				for k := range a.opts.Labels {
					theirs[k] = obj.Labels[k]
				}
				refused = append(refused, &ObjectError{Ref: it.ref, Err: &OwnedError{Ref: it.ref, Owner: a.opts.DescribeOwner(theirs), Labels: theirs}})
			}
		}
	}
	if len(refused) > 0 {
		sortErrors(refused)
		return &ValidationError{Objects: refused}
	}
	if errs := a.each(ctx, migrate, a.migrate); len(errs) > 0 {
		return errs
	}
	return ctx.Err()
}

// maxClaimGets is how many objects of one kind and namespace claim reads
// one by one; above it, one LIST of the kind is cheaper.
const maxClaimGets = 8

// getOwned is listOwned for the objects of items only, read one by one.
func (a *Applier) getOwned(ctx context.Context, k listKey, items []*item) (map[string]metav1.PartialObjectMetadata, error) {
	out := make(map[string]metav1.PartialObjectMetadata, len(items))
	for _, it := range items {
		obj := metav1.PartialObjectMetadata{}
		obj.SetGroupVersionKind(k.gvk)
		err := a.client.Get(ctx, client.ObjectKey{Namespace: k.namespace, Name: it.ref.Name}, &obj)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case meta.IsNoMatchError(err):
			return nil, nil
		case apierrors.IsForbidden(err):
			// An account may list a kind without get on it: list as before.
			return a.listOwned(ctx, k)
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", it.ref, err)
		}
		if hasKeys(obj.Labels, a.opts.Labels) {
			out[obj.Name] = obj
		}
	}
	return out, nil
}

// hasKeys reports whether labels has every key of want, whatever the
// values (what listOwned's label selector asks of the server).
func hasKeys(labels, want map[string]string) bool {
	for k := range want {
		if _, ok := labels[k]; !ok {
			return false
		}
	}
	return true
}

// listOwned returns the live objects of one kind in one namespace that
// carry every ownership label key, whatever the values, by name. A kind
// the cluster does not serve yet has none.
func (a *Applier) listOwned(ctx context.Context, k listKey) (map[string]metav1.PartialObjectMetadata, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(k.gvk.GroupVersion().WithKind(k.gvk.Kind + "List"))
	opts := []client.ListOption{client.HasLabels(slices.Sorted(maps.Keys(a.opts.Labels)))}
	if k.namespace != "" {
		opts = append(opts, client.InNamespace(k.namespace))
	}
	if err := a.client.List(ctx, list, opts...); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		where := "cluster-wide"
		if k.namespace != "" {
			where = "in namespace " + k.namespace
		}
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("listing %s %s: forbidden: grant list on %s to the account that applies", k.gvk.Kind, where, k.gvk.Kind)
		}
		return nil, fmt.Errorf("listing %s %s: %w", k.gvk.Kind, where, err)
	}
	out := make(map[string]metav1.PartialObjectMetadata, len(list.Items))
	for _, o := range list.Items {
		out[o.Name] = o
	}
	return out, nil
}

func (a *Applier) ownedByUs(labels map[string]string) bool {
	for k, v := range a.opts.Labels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (a *Applier) hasLegacyManager(entries []metav1.ManagedFieldsEntry) bool {
	return slices.ContainsFunc(entries, a.isLegacy)
}

func (a *Applier) isLegacy(e metav1.ManagedFieldsEntry) bool {
	return e.Operation == metav1.ManagedFieldsOperationApply && e.Manager != a.opts.FieldManager &&
		slices.Contains(a.opts.LegacyFieldManagers, e.Manager)
}

// migrate hands the fields a legacy manager applied on it.live over to
// Options.FieldManager with one JSON patch of metadata.managedFields, made
// conditional on the resourceVersion read: the fields stay owned, so the
// apply that follows changes nothing, conflicts with nothing and later
// removals from Git still remove the fields. client-go's csaupgrade does
// this only for client-side-apply (Update) entries; ours are Apply
// entries, hence this small function.
func (a *Applier) migrate(ctx context.Context, it *item) error {
	entries, err := a.migratedFields(it.live.ManagedFields)
	if err != nil {
		return &ObjectError{Ref: it.ref, Err: fmt.Errorf("migrating field manager: %w", err)}
	}
	patch, err := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": it.live.ResourceVersion},
		{"op": "replace", "path": "/metadata/managedFields", "value": entries},
	})
	if err != nil {
		return err
	}
	obj := it.live.DeepCopy()
	if err := a.client.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return &ObjectError{Ref: it.ref, Err: fmt.Errorf("migrating field manager to %s: %w", a.opts.FieldManager, redact(it.ref, err))}
	}
	// The apply that follows is compared with this version: the move
	// alone is not a change of the object.
	it.dryRV = obj.ResourceVersion
	return nil
}

// migratedFields renames legacy Apply entries to Options.FieldManager,
// merging entries of ours for the same API version and subresource.
func (a *Applier) migratedFields(in []metav1.ManagedFieldsEntry) ([]metav1.ManagedFieldsEntry, error) {
	var out []metav1.ManagedFieldsEntry
	ours := map[string]int{} // apiVersion and subresource → index in out
	for _, e := range in {
		if a.isLegacy(e) {
			e.Manager = a.opts.FieldManager
		}
		if e.Manager != a.opts.FieldManager || e.Operation != metav1.ManagedFieldsOperationApply {
			out = append(out, e)
			continue
		}
		key := e.APIVersion + "\x00" + e.Subresource
		i, ok := ours[key]
		if !ok {
			ours[key] = len(out)
			out = append(out, e)
			continue
		}
		merged, err := unionFields(out[i].FieldsV1, e.FieldsV1)
		if err != nil {
			return nil, err
		}
		out[i].FieldsV1 = merged
	}
	return out, nil
}

// unionFields merges two managedFields field sets.
func unionFields(x, y *metav1.FieldsV1) (*metav1.FieldsV1, error) {
	set := func(f *metav1.FieldsV1) (*fieldpath.Set, error) {
		s := &fieldpath.Set{}
		if f == nil || f.GetRawString() == "" {
			return s, nil
		}
		if err := s.FromJSON(strings.NewReader(f.GetRawString())); err != nil {
			return nil, err
		}
		return s, nil
	}
	sx, err := set(x)
	if err != nil {
		return nil, err
	}
	sy, err := set(y)
	if err != nil {
		return nil, err
	}
	raw, err := sx.Union(sy).ToJSON()
	if err != nil {
		return nil, err
	}
	return metav1.NewFieldsV1(string(raw)), nil
}
