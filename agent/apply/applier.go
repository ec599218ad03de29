package apply

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Applier applies the object sets of one owner (one GitSync) and remembers
// what it applied. Its methods may be called from several goroutines; calls
// run one at a time.
type Applier struct {
	client client.Client
	mapper meta.RESTMapper
	opts   Options
	// salt keys the hashes of desired objects, so that even a memory dump
	// offers no way to test guesses of a Secret value.
	salt []byte

	mu sync.Mutex
	// memory maps Ref.String() to what the last apply of that object sent
	// and got back. In memory only: it covers Secrets.
	memory map[string]memo
	// desired holds Ref.identity() of every object of the last set passed
	// to Apply; Prune refuses to delete them.
	desired map[string]bool
}

// New returns an Applier that talks to the cluster through c (and its REST
// mapper), which may impersonate a service account.
func New(c client.Client, opts Options) (*Applier, error) {
	if c == nil {
		return nil, errors.New("apply: nil client")
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	return &Applier{
		client: c, mapper: c.RESTMapper(), opts: opts, salt: salt,
		memory: map[string]memo{}, desired: map[string]bool{},
	}, nil
}

// Apply server-side applies objects (which it does not modify): first the
// CRDs and Namespaces, waiting for the CRDs to be established, then the
// rest in parallel. Every object about to be written is checked with a
// server-side dry-run first; if any is rejected nothing is written and the
// error is a *ValidationError naming each. (Objects in a Namespace, or of a
// kind, that the set itself creates can only be checked once the CRDs and
// Namespaces are applied; if one of them is rejected, ValidationError.Partial
// says that those were written.) Objects that neither changed in
// the set nor in the cluster since the last Apply get no request at all.
//
// The Result lists what happened to each object and the set's inventory;
// it is never nil, also when an error is returned. Errors of single
// objects are *ObjectError (collected in ObjectErrors).
func (a *Applier) Apply(ctx context.Context, objects []*unstructured.Unstructured) (*Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &Result{}
	items, err := a.prepare(objects)
	if err != nil {
		return res, err
	}
	a.desired = make(map[string]bool, len(items))
	for _, it := range items {
		a.desired[it.ref.identity()] = true
		res.Inventory = append(res.Inventory, it.ref)
	}
	SortRefs(res.Inventory)
	if err := a.detect(ctx, items); err != nil {
		return res, err
	}
	first, second := split(items)
	deferred, err := a.validate(ctx, first, second)
	if err != nil {
		return res, err
	}
	if err := a.claim(ctx, items); err != nil {
		return res, err
	}
	defer a.finish(items, res)
	if err := a.write(ctx, first); err != nil {
		return res, err
	}
	if err := a.waitForCRDs(ctx, first); err != nil {
		return res, err
	}
	if err := a.validateDeferred(ctx, deferred); err != nil {
		return res, err
	}
	return res, a.write(ctx, second)
}

// write applies the items that need it, in parallel.
func (a *Applier) write(ctx context.Context, items []*item) error {
	errs := a.each(ctx, toWrite(items), func(ctx context.Context, it *item) error {
		rv, err := a.applyObject(ctx, it, false)
		if err != nil {
			return err
		}
		it.newRV = rv
		it.action = it.outcome()
		return nil
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// applyObject sends one server-side apply (a dry-run if dryRun) and
// returns the resourceVersion of the object the server returned.
func (a *Applier) applyObject(ctx context.Context, it *item, dryRun bool) (string, error) {
	obj := it.obj.DeepCopy()
	opts := []client.ApplyOption{client.FieldOwner(a.opts.FieldManager), client.ForceOwnership}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := a.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), opts...); err != nil {
		return "", &ObjectError{Ref: it.ref, Err: redact(it.ref, err)}
	}
	return obj.GetResourceVersion(), nil
}

// finish records the outcome in res and in memory: written objects get a
// fresh entry, failed ones lose theirs, objects left out of the set are
// forgotten.
func (a *Applier) finish(items []*item, res *Result) {
	memory := make(map[string]memo, len(items))
	for _, it := range items {
		key := it.ref.String()
		switch {
		case !it.write:
			memory[key] = a.memory[key]
			res.Objects = append(res.Objects, ObjectResult{Ref: it.ref, Action: Unchanged})
		case it.action != "":
			memory[key] = memo{hash: it.hash, rv: it.newRV}
			res.Objects = append(res.Objects, ObjectResult{Ref: it.ref, Action: it.action})
		}
	}
	a.memory = memory
	res.sort()
}
