package install

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// testPodSecurity checks that applying the Deployment into a namespace
// that warns on "restricted" draws no warning, and that a weakened copy
// does (so the check can fail).
func testPodSecurity(ctx context.Context, t *testing.T, dep *unstructured.Unstructured) {
	c, w := applier(t)
	ns, err := kube.Namespace(ctx, "pss")
	if err != nil {
		t.Fatal(err)
	}
	var nsObj unstructured.Unstructured
	nsObj.SetAPIVersion("v1")
	nsObj.SetKind("Namespace")
	nsObj.SetName(ns)
	nsObj.SetLabels(map[string]string{"pod-security.kubernetes.io/warn": "restricted"})
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(&nsObj), client.FieldOwner(fieldOwner)); err != nil {
		t.Fatal(err)
	}
	w.take()
	weak := dep.DeepCopy()
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(weak.Object, &d); err != nil {
		t.Fatal(err)
	}
	f := false
	d.Spec.Template.Spec.SecurityContext.RunAsNonRoot = &f
	d.Spec.Template.Spec.Containers[0].SecurityContext = nil
	weakObj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		obj      map[string]any
		wantWarn bool
	}{
		{"as installed", dep.Object, false},
		{"without its security context", weakObj, true},
	} {
		u := &unstructured.Unstructured{Object: tt.obj}
		u = u.DeepCopy()
		u.SetNamespace(ns)
		u.SetResourceVersion("")
		u.SetAPIVersion("apps/v1")
		u.SetKind("Deployment")
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldOwner), client.DryRunAll); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		warns := w.take()
		if got := len(warns) > 0; got != tt.wantWarn {
			t.Errorf("%s: Pod Security warnings %q; want some: %v", tt.name, warns, tt.wantWarn)
		}
	}
}

// testAdmissionPolicy checks what the tenant-mode policy lets the agent's
// own account (sa in ns) create in its namespace (dry-run: admission runs,
// nothing is stored). keyName is the key Secret's name.
func testAdmissionPolicy(ctx context.Context, t *testing.T, ns, sa, keyName string) {
	as := asServiceAccount(t, ns, sa)
	secret := func(name, typ string) client.Object {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": typ,
			"metadata": map[string]any{"name": name, "namespace": ns,
				"annotations": map[string]any{"kubernetes.io/service-account.name": sa}},
		}}
		return u
	}
	object := func(apiVersion, kind, name string) client.Object {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec":     map[string]any{},
		}}
	}
	tests := []struct {
		name    string
		obj     client.Object
		allowed bool
	}{
		{"its key Secret", secret(keyName, "Opaque"), true},
		{"another Secret", secret("not-the-key", "Opaque"), false},
		{"its key Secret as a token", secret(keyName, "kubernetes.io/service-account-token"), false},
		{"its public-key ConfigMap", object("v1", "ConfigMap", "seal-agent-public-key"), true},
		{"another ConfigMap", object("v1", "ConfigMap", "other"), false},
		{"its Lease", object("coordination.k8s.io/v1", "Lease", "seal-agent.seal.dev"), true},
		{"another Lease", object("coordination.k8s.io/v1", "Lease", "other"), false},
	}
	// The policy takes effect shortly after it is created: wait for the
	// first denial before judging.
	eventually(t, 30*time.Second, "the admission policy to deny", func() (bool, error) {
		err := as.Create(ctx, secret("not-the-key", "Opaque"), client.DryRunAll)
		return apierrors.IsInvalid(err) || apierrors.IsForbidden(err), nil
	})
	for _, tt := range tests {
		err := as.Create(ctx, tt.obj.DeepCopyObject().(client.Object), client.DryRunAll)
		admitted := err == nil || apierrors.IsAlreadyExists(err)
		if admitted != tt.allowed {
			t.Errorf("%s: create as the agent: %v; want allowed: %v", tt.name, err, tt.allowed)
		}
		if !admitted && !strings.Contains(err.Error(), "the seal agent may create only") {
			t.Errorf("%s: denied, but not by the policy: %v", tt.name, err)
		}
	}
}
