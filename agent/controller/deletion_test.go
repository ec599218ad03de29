package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

type fakePruner struct {
	got []apply.Ref
	err error
}

func (f *fakePruner) Prune(_ context.Context, stale []apply.Ref) (*apply.Result, error) {
	f.got = stale
	if f.err != nil {
		return &apply.Result{}, f.err
	}
	res := &apply.Result{}
	for _, r := range stale {
		res.Objects = append(res.Objects, apply.ObjectResult{Ref: r, Action: apply.Deleted})
	}
	return res, nil
}

// TestFinalize: a deleted GitSync's inventory is deleted unless it is
// orphaned (deletionPolicy Orphan, prune off, suspended); the finalizer is
// removed only when nothing failed, and a failure is a Warning event and a
// retry.
func TestFinalize(t *testing.T) {
	no := false
	tests := []struct {
		name       string
		mutate     func(*v1alpha1.GitSync)
		pruneErr   error
		wantPruned int
		wantGone   bool // the finalizer was removed, so the GitSync is gone
		wantEvent  string
		wantRetry  bool
	}{
		{name: "default deletes", wantPruned: 2, wantGone: true, wantEvent: "Normal ObjectsDeleted Deleted 2 objects"},
		{name: "orphan", mutate: func(gs *v1alpha1.GitSync) { gs.Spec.DeletionPolicy = v1alpha1.DeletionPolicyOrphan },
			wantGone: true, wantEvent: "Normal ObjectsOrphaned Left the 2 objects of GitSync team/apps in the cluster (spec.deletionPolicy is Orphan)"},
		{name: "suspended", mutate: func(gs *v1alpha1.GitSync) { gs.Spec.Suspend = true },
			wantGone: true, wantEvent: "(spec.suspend is true)"},
		{name: "prune off", mutate: func(gs *v1alpha1.GitSync) { gs.Spec.Prune = &no },
			wantGone: true, wantEvent: "(spec.prune is false)"},
		{name: "delete fails", pruneErr: errors.New("ConfigMap team/web: forbidden"), wantPruned: 2, wantRetry: true,
			wantEvent: "Warning DeletionFailed deleting the objects of GitSync team/apps: ConfigMap team/web: forbidden; retrying"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := metav1.Now()
			gs := &v1alpha1.GitSync{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "apps", Finalizers: []string{v1alpha1.Finalizer}, DeletionTimestamp: &now},
				Status:     v1alpha1.GitSyncStatus{AppliedObjects: []string{"ConfigMap/v1 team/web", "Namespace/v1 team-extra"}},
			}
			if tt.mutate != nil {
				tt.mutate(gs)
			}
			scheme := runtime.NewScheme()
			if err := v1alpha1.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(gs).WithStatusSubresource(gs).Build()
			metrics, err := NewMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			recorder := events.NewFakeRecorder(10)
			r := New(Config{Metrics: metrics}, c, c, recorder)
			p := &fakePruner{err: tt.pruneErr}
			r.newPruner = func(*v1alpha1.GitSync) (pruner, error) { return p, nil }

			res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: client.ObjectKeyFromObject(gs)})
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if len(p.got) != tt.wantPruned {
				t.Errorf("pruned %d objects, want %d", len(p.got), tt.wantPruned)
			}
			if got := res.RequeueAfter > 0; got != tt.wantRetry {
				t.Errorf("retry = %v (%v), want %v", got, res.RequeueAfter, tt.wantRetry)
			}
			err = c.Get(context.Background(), client.ObjectKeyFromObject(gs), &v1alpha1.GitSync{})
			if gone := apierrors.IsNotFound(err); gone != tt.wantGone {
				t.Errorf("GitSync gone = %v (get: %v), want %v", gone, err, tt.wantGone)
			}
			select {
			case ev := <-recorder.Events:
				if !strings.Contains(ev, tt.wantEvent) {
					t.Errorf("event %q, want it to contain %q", ev, tt.wantEvent)
				}
			default:
				t.Errorf("no event, want %q", tt.wantEvent)
			}
		})
	}
}

func TestEnsureFinalizer(t *testing.T) {
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "apps"}}
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(gs).Build()
	r := New(Config{}, c, c, events.NewFakeRecorder(1))
	for range 2 { // the second call finds it there and writes nothing
		if err := r.ensureFinalizer(context.Background(), gs); err != nil {
			t.Fatal(err)
		}
	}
	var got v1alpha1.GitSync
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(gs), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Finalizers) != 1 || got.Finalizers[0] != v1alpha1.Finalizer {
		t.Errorf("finalizers = %v, want [%s]", got.Finalizers, v1alpha1.Finalizer)
	}
}
