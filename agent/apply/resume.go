package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Digest is a digest of what the Applier remembers: every object it
// applied and the resourceVersion the cluster gave it. It holds nothing
// secret (object names and resourceVersions), so it may be kept in a
// GitSync's status; "" when the Applier remembers nothing.
func (a *Applier) Digest() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	rvs := make(map[string]string, len(a.memory))
	for key, m := range a.memory {
		rvs[key] = m.rv
	}
	return digestOf(rvs)
}

// Resume lets an Applier that remembers nothing (a new agent process: after
// a restart, or a new leader) take over from the one that applied the
// same objects last, so a resync where nothing changed sends no write.
// The caller promises that objects are the set that Applier applied (the
// same revision and spec); Resume lists the live objects' resourceVersions
// (one metadata-only LIST per kind and namespace) and, when their Digest
// equals digest (none changed or went missing since), remembers each
// object as applied at its live resourceVersion. Otherwise it remembers
// nothing, and Apply applies every object as on a first sync. It reports
// whether it resumed.
func (a *Applier) Resume(ctx context.Context, objects []*unstructured.Unstructured, digest string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if digest == "" || len(a.memory) > 0 {
		return false, nil
	}
	items, err := a.prepare(objects)
	if err != nil {
		return false, nil // Apply reports it
	}
	var keys []listKey
	seen := map[listKey]bool{}
	for _, it := range items {
		k := listKey{it.ref.GroupVersionKind(), it.ref.Namespace}
		if !seen[k] {
			seen[k] = true
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
		return false, err
	}
	byKey := make(map[listKey]map[string]string, len(keys))
	for i, k := range keys {
		byKey[k] = live[i]
	}
	rvs := make(map[string]string, len(items))
	for _, it := range items {
		rv, ok := byKey[listKey{it.ref.GroupVersionKind(), it.ref.Namespace}][it.ref.Name]
		if !ok {
			return false, nil
		}
		rvs[it.ref.String()] = rv
	}
	if digestOf(rvs) != digest {
		return false, nil
	}
	for _, it := range items {
		key := it.ref.String()
		a.memory[key] = memo{hash: it.hash, rv: rvs[key]}
	}
	return true, nil
}

// digestOf hashes ref → resourceVersion in key order.
func digestOf(rvs map[string]string) string {
	if len(rvs) == 0 {
		return ""
	}
	h := sha256.New()
	h.Write([]byte("seal-apply-digest-v1\n"))
	for _, key := range slices.Sorted(maps.Keys(rvs)) {
		h.Write([]byte(key + "\x00" + rvs[key] + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
