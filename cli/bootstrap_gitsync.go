package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// applyGitSync applies the credentials Secret, if any, and the GitSync,
// with its Namespace first when that does not exist yet.
func (b *bootstrapper) applyGitSync(ctx context.Context) error {
	p := b.plan
	where := "path " + p.path
	if p.path == "" {
		where = "the repository's root"
	}
	b.printf("Syncing %s of %s, branch %s, every %s\n", where, p.opts.URL, p.opts.Branch, p.opts.Interval)
	var objs []*unstructured.Unstructured
	if p.namespace != p.agentNamespace {
		missing, err := b.namespaceMissing(ctx, p.namespace)
		if err != nil {
			return err
		}
		if missing {
			objs = append(objs, namespaceObject(p.namespace))
		}
	}
	if p.secretName != "" {
		objs = append(objs, credentialsSecret(p.secretName, p.namespace, p.secretData))
	}
	objs = append(objs, gitSyncObject(p))
	return b.apply(ctx, objs, fmt.Sprintf("applying GitSync %s/%s", p.namespace, p.name))
}

func (b *bootstrapper) namespaceMissing(ctx context.Context, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	err := b.c.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	return false, kubeError(err, b.where, "reading Namespace "+name)
}

func namespaceObject(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name},
	}}
}

// credentialsSecret is the Secret holding the Git credentials under the
// keys seal-agent reads.
func credentialsSecret(name, namespace string, data map[string][]byte) *unstructured.Unstructured {
	encoded := map[string]any{}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		encoded[k] = base64.StdEncoding.EncodeToString(data[k])
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"type":     string(corev1.SecretTypeOpaque),
		"data":     encoded,
	}}
}

// gitSyncObject is the GitSync bootstrap applies. Only the fields set
// here are owned by seal-bootstrap; the API server defaults the rest, and
// anything a user adds with another field manager stays.
func gitSyncObject(p *bootstrapPlan) *unstructured.Unstructured {
	spec := map[string]any{
		"url":      p.opts.URL,
		"ref":      map[string]any{"branch": p.opts.Branch},
		"interval": p.opts.Interval.String(),
	}
	if p.path != "" {
		spec["path"] = p.path
	}
	if p.secretName != "" {
		spec["secretRef"] = map[string]any{"name": p.secretName}
	}
	if p.opts.ServiceAccount != "" {
		spec["serviceAccountName"] = p.opts.ServiceAccount
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(), "kind": v1alpha1.Kind,
		"metadata": map[string]any{"name": p.name, "namespace": p.namespace},
		"spec":     spec,
	}}
}
