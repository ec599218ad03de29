package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// sealedSecret is a Bitnami SealedSecret as a repository migrating to
// Seal still holds it; its encryptedData is opaque to the agent.
const sealedSecret = `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db-creds
spec:
  encryptedData:
    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq
  template:
    metadata:
      name: db-creds
`

var sealedSecretGVK = schema.GroupVersionKind{Group: "bitnami.com", Version: "v1alpha1", Kind: "SealedSecret"}

// installSealedSecretCRD creates the SealedSecret CRD of testdata (once
// for the cluster the tests share) and waits until it is established.
func (e *env) installSealedSecretCRD() {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "sealedsecrets-crd.yaml"))
	if err != nil {
		e.t.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &crd.Object); err != nil {
		e.t.Fatal(err)
	}
	if err := kube.Client.Create(e.ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
		e.t.Fatal(err)
	}
	e.eventually(30*time.Second, "the SealedSecret CRD is established", func() (bool, error) {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(crd.GroupVersionKind())
		if err := kube.Client.Get(e.ctx, client.ObjectKey{Name: crd.GetName()}, got); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}

// setSynced writes the SealedSecret's status as the sealed-secrets
// controller does: Synced, with its reason and message.
func (e *env) setSynced(name, status, message string) {
	e.t.Helper()
	ss := &unstructured.Unstructured{}
	ss.SetGroupVersionKind(sealedSecretGVK)
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, ss); err != nil {
		e.t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	cond := map[string]any{"type": "Synced", "status": status, "lastTransitionTime": now, "lastUpdateTime": now}
	if message != "" {
		cond["reason"], cond["message"] = "ErrUnsealFailed", message
	}
	ss.Object["status"] = map[string]any{"observedGeneration": ss.GetGeneration(), "conditions": []any{cond}}
	if err := kube.Client.Status().Update(e.ctx, ss); err != nil {
		e.t.Fatal(err)
	}
}

// TestASealedSecretItsControllerCannotOpenFailsTheHealthCheck: a
// SealedSecret applied through a GitSync whose controller reports
// Synced=False leaves the GitSync HealthCheckFailed, naming it with the
// controller's message; once Synced=True, the next sync is Ready.
func TestASealedSecretItsControllerCannotOpenFailsTheHealthCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.installSealedSecretCRD()
	sha := e.commit("sealed secret", map[string][]byte{"apps/db.yaml": []byte(sealedSecret)})
	e.createGitSync("apps", time.Hour, waitWithHealth(5*time.Second))

	e.eventually(30*time.Second, "the SealedSecret is applied", func() (bool, error) {
		ss := &unstructured.Unstructured{}
		ss.SetGroupVersionKind(sealedSecretGVK)
		err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: "db-creds"}, ss)
		return err == nil, client.IgnoreNotFound(err)
	})
	const unsealErr = "no key could decrypt secret (password)"
	e.setSynced("db-creds", "False", unsealErr)
	msg := e.waitFailed("apps", v1alpha1.ReasonHealthCheckFailed)
	want := fmt.Sprintf("SealedSecret.bitnami.com %s/db-creds: InProgress: SealedSecret not Synced: %s", e.ns, unsealErr)
	if !strings.Contains(msg, want) {
		t.Errorf("message %q does not name %q", msg, want)
	}
	if gs := e.get("apps"); gs.Status.LastAppliedRevision != "" {
		t.Errorf("lastAppliedRevision %q while the SealedSecret was not Synced", gs.Status.LastAppliedRevision)
	}

	e.setSynced("db-creds", "True", "")
	e.syncNow()
	e.waitApplied("apps", sha)
}
