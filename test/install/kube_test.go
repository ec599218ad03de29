package install

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const fieldOwner = "seal-install-test"

// warnings collects the API server's warning headers (Pod Security
// admission reports violations this way).
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

// applier is an admin client that keeps the warnings of its requests.
func applier(t *testing.T) (client.Client, *warnings) {
	t.Helper()
	cfg := rest.CopyConfig(kube.Config)
	w := &warnings{}
	cfg.WarningHandler = w
	c, err := client.New(cfg, client.Options{Scheme: kube.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// applyAll server-side applies objs in order, waiting for each CRD to be
// established before going on, and returns the warnings the API server
// gave, as "Kind name: warning".
func applyAll(ctx context.Context, t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	c, w := applier(t)
	var got []string
	for _, o := range objs {
		o = o.DeepCopy()
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			t.Fatalf("applying %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		for _, text := range w.take() {
			got = append(got, o.GetKind()+" "+o.GetName()+": "+text)
		}
		if o.GetKind() == "CustomResourceDefinition" {
			waitEstablished(ctx, t, o.GetName())
		}
	}
	return got
}

// waitEstablished waits for the CRD's Established condition.
func waitEstablished(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	eventually(t, 30*time.Second, "CRD "+name+" established", func() (bool, error) {
		crd := &unstructured.Unstructured{}
		crd.SetAPIVersion("apiextensions.k8s.io/v1")
		crd.SetKind("CustomResourceDefinition")
		if err := kube.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}

// mustExist checks that each object is in the cluster.
func mustExist(ctx context.Context, t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := kube.Client.Get(ctx, client.ObjectKeyFromObject(o), got); err != nil {
			t.Errorf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

// eventually polls cond every 200ms until it returns true, failing the
// test after timeout or on an error.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// saUser is a service account's user name.
func saUser(namespace, name string) string {
	return fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name)
}

// access is one question to the authorizer: may the account do this?
type access struct {
	verb, group, resource, subresource, namespace, name string
}

func (a access) String() string {
	r := a.resource
	if a.group != "" {
		r += "." + a.group
	}
	if a.subresource != "" {
		r += "/" + a.subresource
	}
	if a.name != "" {
		r += " " + a.name
	}
	where := "cluster-wide"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	return a.verb + " " + r + " " + where
}

// allowed asks the API server's authorizer (RBAC) with a
// SubjectAccessReview whether the service account may do a.
func allowed(ctx context.Context, t *testing.T, saNamespace, saName string, a access) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   saUser(saNamespace, saName),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: a.verb, Group: a.group, Resource: a.resource, Subresource: a.subresource,
			Namespace: a.namespace, Name: a.name,
		},
	}}
	if err := kube.Client.Create(ctx, sar); err != nil {
		t.Fatalf("SubjectAccessReview %s: %v", a, err)
	}
	return sar.Status.Allowed
}

// checkAccess asks each question and reports every answer that differs
// from want.
func checkAccess(ctx context.Context, t *testing.T, saNamespace, saName string, want map[access]bool) {
	t.Helper()
	for a, w := range want {
		if got := allowed(ctx, t, saNamespace, saName, a); got != w {
			verb := "cannot"
			if got {
				verb = "can"
			}
			t.Errorf("%s %s %s; want the opposite", saUser(saNamespace, saName), verb, a)
		}
	}
}

// asServiceAccount is a client acting as the service account, by
// impersonation from the admin's credentials.
func asServiceAccount(t *testing.T, namespace, name string) client.Client {
	t.Helper()
	cfg := rest.CopyConfig(kube.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: saUser(namespace, name)}
	c, err := client.New(cfg, client.Options{Scheme: kube.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kinds lists "Kind namespace/name" of objs, sorted, without the kinds in
// skip.
func kinds(objs []*unstructured.Unstructured, skip ...string) []string {
	var out []string
	for _, o := range objs {
		if !slices.Contains(skip, o.GetKind()) {
			out = append(out, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
		}
	}
	slices.Sort(out)
	return out
}

// find returns the object of kind and name in objs, or fails.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s among %s", kind, name, strings.Join(kinds(objs), ", "))
	return nil
}
