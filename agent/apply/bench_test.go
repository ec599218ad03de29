package apply_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

// benchSet is 1,000 objects in a new Namespace: 800 ConfigMaps and 200
// Secrets. version changes the data of one ConfigMap.
func benchSet(ns string, version int) []*unstructured.Unstructured {
	objs := []*unstructured.Unstructured{namespaceObject(ns)}
	for i := range 800 {
		v := "0"
		if i == 400 {
			v = fmt.Sprint(version)
		}
		objs = append(objs, configMap(ns, fmt.Sprintf("cm-%03d", i), map[string]any{"key": "value-" + v, "other": "payload"}))
	}
	for i := range 200 {
		objs = append(objs, secret(ns, fmt.Sprintf("secret-%03d", i), map[string]string{"password": fmt.Sprintf("pw-%d", i)}))
	}
	return objs
}

// BenchmarkApply measures Apply of 1,000 objects on the real apiserver,
// next to a bare loop of server-side applies with 16 goroutines and no
// change detection or validation. writes/op counts POST, PUT, PATCH and
// DELETE requests (dry-runs included), requests/op all requests.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("first", func(b *testing.B) {
		c, cnt := countedClient(b)
		measure(b, cnt, func(i int) {
			b.StopTimer()
			a := newApplier(b, c, apply.Options{})
			objs := benchSet(fmt.Sprintf("bench-first-%d-%d", b.N, i), 0)
			b.StartTimer()
			if _, err := a.Apply(ctx, objs); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("noop", func(b *testing.B) {
		c, cnt := countedClient(b)
		a := newApplier(b, c, apply.Options{})
		objs := benchSet(fmt.Sprintf("bench-noop-%d", b.N), 0)
		if _, err := a.Apply(ctx, objs); err != nil {
			b.Fatal(err)
		}
		measure(b, cnt, func(int) {
			if _, err := a.Apply(ctx, objs); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("one-change", func(b *testing.B) {
		c, cnt := countedClient(b)
		a := newApplier(b, c, apply.Options{})
		ns := fmt.Sprintf("bench-change-%d", b.N)
		if _, err := a.Apply(ctx, benchSet(ns, 0)); err != nil {
			b.Fatal(err)
		}
		measure(b, cnt, func(i int) {
			b.StopTimer()
			objs := benchSet(ns, i+1)
			b.StartTimer()
			if _, err := a.Apply(ctx, objs); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("baseline-first", func(b *testing.B) {
		c, cnt := countedClient(b)
		labels := ownerLabels()
		measure(b, cnt, func(i int) {
			b.StopTimer()
			objs := benchSet(fmt.Sprintf("bench-base-first-%d-%d", b.N, i), 0)
			b.StartTimer()
			bareApply(b, c, labels, objs)
		})
	})
	b.Run("baseline-reapply", func(b *testing.B) {
		c, cnt := countedClient(b)
		labels := ownerLabels()
		objs := benchSet(fmt.Sprintf("bench-base-again-%d", b.N), 0)
		bareApply(b, c, labels, objs)
		measure(b, cnt, func(int) { bareApply(b, c, labels, objs) })
	})
}

// measure runs op b.N times and reports the requests it sent.
func measure(b *testing.B, cnt *counter, op func(i int)) {
	cnt.reset()
	b.ResetTimer()
	for i := range b.N {
		op(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(cnt.writes())/float64(b.N), "writes/op")
	b.ReportMetric(float64(cnt.total())/float64(b.N), "requests/op")
}

// bareApply server-side applies objs (the Namespace, objs[0], first) with
// 16 goroutines: the baseline.
func bareApply(b *testing.B, c client.Client, labels map[string]string, objs []*unstructured.Unstructured) {
	ssa := func(ctx context.Context, o *unstructured.Unstructured) error {
		o = o.DeepCopy()
		o.SetLabels(labels)
		return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("baseline"), client.ForceOwnership)
	}
	ctx := context.Background()
	if err := ssa(ctx, objs[0]); err != nil {
		b.Fatal(err)
	}
	var g errgroup.Group
	g.SetLimit(16)
	for _, o := range objs[1:] {
		g.Go(func() error { return ssa(ctx, o) })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}
