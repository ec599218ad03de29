package apply

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// parallel runs fn for 0..n-1 with at most limit at once and returns each
// call's error (nil entries included). One failure does not stop the
// others: every object's error is reported, except that once a call finds
// the API server unreachable the calls not started yet are not made and
// return a *NotTriedError. Calls not started before ctx is done return
// ctx.Err().
func parallel(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) []error {
	errs := make([]error, n)
	var down atomic.Pointer[error]
	var g errgroup.Group
	g.SetLimit(limit)
	for i := range n {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return nil
			}
			if cause := down.Load(); cause != nil {
				errs[i] = &NotTriedError{Cause: *cause}
				return nil
			}
			errs[i] = fn(ctx, i)
			if Unreachable(errs[i]) {
				down.CompareAndSwap(nil, &errs[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

// each runs fn for every item in parallel and returns the failures sorted
// by Ref, each an *ObjectError.
func (a *Applier) each(ctx context.Context, items []*item, fn func(ctx context.Context, it *item) error) ObjectErrors {
	errs := parallel(ctx, len(items), a.opts.Concurrency, func(ctx context.Context, i int) error {
		return fn(ctx, items[i])
	})
	var out ObjectErrors
	for i, err := range errs {
		if err == nil {
			continue
		}
		oe := (*ObjectError)(nil)
		if !errors.As(err, &oe) {
			oe = &ObjectError{Ref: items[i].ref, Err: err}
		}
		out = append(out, oe)
	}
	sortErrors(out)
	return out
}

// firstError returns ctx.Err() if ctx is done, else the first error of errs.
func firstError(ctx context.Context, errs []error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func sortErrors(errs ObjectErrors) {
	slices.SortFunc(errs, func(a, b *ObjectError) int { return cmp.Compare(a.Ref.String(), b.Ref.String()) })
}
