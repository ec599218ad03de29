package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// A sync whose status patch fails (the apiserver down) returns the error
// alone: the workqueue retries with its backoff. A RequeueAfter beside an
// error is ignored by controller-runtime, which warns about it.
func TestReconcileStatusPatchFailedRetriesWithBackoff(t *testing.T) {
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "apps", Generation: 1,
		Finalizers: []string{v1alpha1.Finalizer}}}
	down := errors.New("connection refused")
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(gs).WithStatusSubresource(gs).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
				return down
			},
		}).Build()
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// A config no client can be built from fails the sync before it
	// fetches: the quickest way to a sync outcome without an apiserver.
	r := New(Config{Metrics: metrics, RESTConfig: &rest.Config{Host: "http://[::1"}}, c, c, events.NewFakeRecorder(100))
	res, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "apps"}})
	if !errors.Is(err, down) {
		t.Fatalf("Reconcile error %v, want the status patch's", err)
	}
	if res != (reconcile.Result{}) {
		t.Errorf("result %+v beside the error, want none", res)
	}
}
