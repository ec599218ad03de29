package cli

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
)

// Dry-run actions, printed where a real run prints created, configured
// or unchanged.
const (
	wouldCreate    = "would create"
	wouldConfigure = "would configure"
	wouldKeep      = "unchanged"
)

// dryRun reports what bootstrap would do, writing nothing: each object is
// read, and one that exists is applied with dryRun=All, so the API server
// itself says whether the apply would change it. .sops.yaml is only read.
func (b *bootstrapper) dryRun(ctx context.Context) error {
	p := b.plan
	mode := "cluster mode"
	if p.opts.Tenant {
		mode = "tenant mode"
	}
	b.printf("Dry run: nothing is written to the cluster at %s or to %s\n", b.where, keys.ConfigName)
	b.printf("Installing seal-agent (%s, image %s)\n", mode, p.image)
	if err := b.dryRunObjects(ctx, p.manifests, "installing seal-agent"); err != nil {
		return err
	}
	cmName := fmt.Sprintf("ConfigMap %s/%s", p.agentNamespace, keyring.PublicKeyConfigMap)
	recipient, _, err := b.agentRecipient(ctx, cmName)
	if err != nil {
		return err
	}
	if recipient == "" {
		b.printf("Would wait up to %s for seal-agent to start and publish its key in %s\n", p.opts.Timeout, cmName)
	} else {
		b.printf("seal-agent has published its key; it decrypts what is encrypted for %s\n", keys.Short(recipient))
	}
	where := "path " + p.path
	if p.path == "" {
		where = "the repository's root"
	}
	b.printf("Syncing %s of %s, branch %s, every %s\n", where, p.opts.URL, p.opts.Branch, p.opts.Interval)
	var objs []*unstructured.Unstructured
	if p.namespace != p.agentNamespace {
		// As the real run: applied only when missing.
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
	if err := b.dryRunObjects(ctx, objs, fmt.Sprintf("applying GitSync %s/%s", p.namespace, p.name)); err != nil {
		return err
	}
	if err := b.dryRunSopsConfig(recipient); err != nil {
		return err
	}
	b.printf("\nRun the same command without --dry-run to do it.\n")
	return b.out.err
}

// dryRunObjects prints, for each object, what applying it would do.
func (b *bootstrapper) dryRunObjects(ctx context.Context, objs []*unstructured.Unstructured, what string) error {
	for _, o := range objs {
		action, err := b.dryRunAction(ctx, o)
		if err != nil {
			return b.applyError(err, what)
		}
		b.printf("  %-15s %s\n", action, apply.RefOf(o).Short())
	}
	return b.out.err
}

// dryRunAction reads the live object: absent (or of a kind the cluster
// does not serve yet, such as GitSync before its CRD) it would be created;
// present, a server-side apply with dryRun=All as seal-bootstrap returns
// the object as it would become, compared with the live one.
func (b *bootstrapper) dryRunAction(ctx context.Context, o *unstructured.Unstructured) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	desired := o.DeepCopy()
	labels := desired.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, bootstrapLabels())
	desired.SetLabels(labels)

	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	err := b.c.Get(ctx, client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}, live)
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return wouldCreate, nil
	case err != nil:
		return "", &apply.ObjectError{Ref: apply.RefOf(o), Err: err}
	}
	if err := b.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(desired),
		client.FieldOwner(bootstrapFieldManager), client.ForceOwnership, client.DryRunAll); err != nil {
		return "", &apply.ObjectError{Ref: apply.RefOf(o), Err: err}
	}
	if reflect.DeepEqual(withoutBookkeeping(live), withoutBookkeeping(desired)) {
		return wouldKeep, nil
	}
	return wouldConfigure, nil
}

// withoutBookkeeping drops what changes with every write, or with the apply's
// bookkeeping alone, from a copy of o.
func withoutBookkeeping(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy()
	for _, f := range []string{"managedFields", "resourceVersion", "generation"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	return c.Object
}

// dryRunSopsConfig says what bootstrap would do to .sops.yaml.
func (b *bootstrapper) dryRunSopsConfig(recipient string) error {
	p := b.plan
	dir := b.repoDir()
	if p.sopsConfig == "" {
		b.printf("Would leave %s alone (--skip-sops-config)\n", keys.ConfigName)
		return b.out.err
	}
	name := relToWD(p.wd, p.sopsConfig)
	b.printf("Encrypting %s for seal-agent\n", dir)
	kept, err := ruleRecipients(p.sopsConfig, p.pathRegex)
	if err != nil {
		return err
	}
	action, with := wouldConfigure, ""
	switch {
	case recipient != "" && slices.ContainsFunc(kept, func(r string) bool { return strings.EqualFold(r, recipient) }):
		action = wouldKeep
	case len(kept) == 0:
		action = wouldCreate
	}
	if recipient == "" {
		with = ", with the key seal-agent will publish"
	}
	b.printf("  %-15s %s rule for path_regex %s%s\n", action, name, p.pathRegex, with)
	return b.out.err
}
