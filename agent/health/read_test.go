package health

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

var namespaceGVK = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}

// countingClient is a fake cluster of n active Namespaces that counts the
// GETs and LISTs it serves, refusing GETs when forbidGet.
func countingClient(t *testing.T, n int, forbidGet bool) (client.WithWatch, *int, *int) {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(scheme.Scheme)
	for i := range n {
		b.WithObjects(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%d", i)},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}})
	}
	var gets, lists int
	c := interceptor.NewClient(b.Build(), interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			gets++
			if forbidGet {
				return apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, key.Name, fmt.Errorf("no get"))
			}
			return c.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			lists++
			return c.List(ctx, list, opts...)
		},
	})
	return c, &gets, &lists
}

// TestWaitReadsFewObjectsOneByOne: a LIST waits for the API server's watch
// cache to catch up, so a kind with few objects to wait for is read with
// a GET each; many are read with one LIST, and so are few when the
// account may not get them.
func TestWaitReadsFewObjectsOneByOne(t *testing.T) {
	for _, tt := range []struct {
		name       string
		objects    int
		forbidGet  bool
		gets, list int
	}{
		{"one", 1, false, 1, 0},
		{"as many as maxGets", maxGets, false, maxGets, 0},
		{"more than maxGets", maxGets + 1, false, 0, 1},
		{"get forbidden", 2, true, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, gets, lists := countingClient(t, tt.objects, tt.forbidGet)
			var objects []Object
			for i := range tt.objects {
				objects = append(objects, Object{GVK: namespaceGVK, Name: fmt.Sprintf("ns-%d", i)})
			}
			waited := false
			if err := (&Checker{Client: c}).Wait(t.Context(), objects, func(string) { waited = true }); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if waited {
				t.Error("Wait said it was waiting for objects that were all healthy")
			}
			if *gets != tt.gets || *lists != tt.list {
				t.Errorf("%d GETs and %d LISTs; want %d and %d", *gets, *lists, tt.gets, tt.list)
			}
		})
	}
}

// TestReadListsAGroupWithAnObjectNotHealthy: when a GET finds an object
// that is not healthy (here, missing), the group is listed, so that one
// watch of it follows rather than one per object.
func TestReadListsAGroupWithAnObjectNotHealthy(t *testing.T) {
	c, gets, lists := countingClient(t, 1, false)
	names := map[string]Result{"ns-0": {}, "later": {}}
	if _, err := (&Checker{Client: c}).read(t.Context(), group{gvk: namespaceGVK}, names); err != nil {
		t.Fatal(err)
	}
	if names["later"].Status != status.NotFoundStatus || names["ns-0"].Status != status.CurrentStatus {
		t.Errorf("statuses %v; want later NotFound and ns-0 Current", names)
	}
	if *lists != 1 || *gets > 2 {
		t.Errorf("%d GETs and %d LISTs; want at most 2 and 1", *gets, *lists)
	}
}
