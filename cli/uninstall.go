package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/manifests"
)

// uninstallOptions are the flags of seal uninstall.
type uninstallOptions struct {
	kubeTarget
	DeleteKey bool
	Yes       bool
}

func newUninstallCmd(f *Factory) *cobra.Command {
	opts := &uninstallOptions{}
	cmd := &cobra.Command{
		Use:   "uninstall [--delete-key]",
		Short: "Remove seal-agent from a cluster, keeping what it applied and its key",
		Long: `Remove seal-agent from the cluster (the current kubeconfig context, or
--context): its Deployment first, so that it stops syncing, then its
Service, account, RBAC and admission policy (cluster or tenant mode), then
the GitSync CRD, which deletes every GitSync with it (their finalizer is
dropped first: with the agent gone, deleting a GitSync deletes nothing
it applied).

What the GitSyncs applied stays in the cluster as it is: nothing is
pruned, nothing is synced or corrected any more.

The agent's private key, the Secret seal-system/` + keyring.DefaultSecretName + `, stays, with the
namespace seal-system, so that seal-agent installed again opens the files
sealed for it. --delete-key deletes the key and the namespace too, after a
warning that says how to back the key up; it asks you to type the
Secret's name to confirm (--yes confirms without asking). Files sealed only
for this agent can never be decrypted again once its key is gone.

It needs cluster-admin, as seal bootstrap does.`,
		Example: `  # Remove the agent, keep its key
  seal uninstall --context prod

  # Back the key up, then remove everything
  kubectl -n seal-system get secret seal-agent-key -o yaml > seal-agent-key.yaml
  seal uninstall --context prod --delete-key`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("seal uninstall takes only flags, got the argument %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUninstall(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.DeleteKey, "delete-key", false, "also delete the agent's private key and its namespace (after a backup warning)")
	fl.BoolVar(&opts.Yes, "yes", false, "with --delete-key: do not ask for confirmation")
	opts.addKubeFlags(fl)
	return cmd
}

// uninstaller runs seal uninstall against one cluster.
type uninstaller struct {
	f     *Factory
	c     client.Client
	where string
	opts  *uninstallOptions
	out   *stickyWriter
	// agentNamespace holds the Deployment, the key and the public key.
	agentNamespace string
}

func runUninstall(ctx context.Context, f *Factory, opts *uninstallOptions) error {
	if opts.Yes && !opts.DeleteKey {
		return usagef("--yes confirms --delete-key, which was not given")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return err
	}
	c, err := newKubeClient(cfg, where)
	if err != nil {
		return err
	}
	admin, err := isClusterAdmin(ctx, cfg, where)
	if err != nil {
		return err
	}
	if !admin {
		return withHint(fmt.Errorf("the cluster at %s: your credentials are not cluster-admin, and seal uninstall needs it: "+
			"it deletes a CRD, ClusterRoles and their bindings", where),
			"run seal uninstall with a context that has cluster-admin, or ask a cluster admin to run it")
	}
	u := &uninstaller{f: f, c: c, where: where, opts: opts, out: &stickyWriter{w: f.IO.Out}, agentNamespace: defaultAgentNamespace}
	if opts.DeleteKey {
		if err := u.confirmDeleteKey(); err != nil {
			return err
		}
	}
	return u.run(ctx)
}

// confirmDeleteKey prints the backup warning and, without --yes, reads
// the key Secret's name from stdin.
func (u *uninstaller) confirmDeleteKey() error {
	ns, name := u.agentNamespace, keyring.DefaultSecretName
	fmt.Fprintf(u.f.IO.Err, "warning: --delete-key deletes Secret %s/%s, seal-agent's private key. "+
		"Files sealed only for seal-agent can never be decrypted again without it. Back it up first, and keep the copy offline:\n"+
		"  kubectl -n %s get secret %s -o yaml > %s.yaml\n", ns, name, ns, name, name)
	if u.opts.Yes {
		return nil
	}
	fmt.Fprintf(u.f.IO.Err, "Type %s to delete it: ", name)
	line, _ := bufio.NewReader(u.f.IO.In).ReadString('\n')
	fmt.Fprintln(u.f.IO.Err)
	if strings.TrimSpace(line) != name {
		return withHint(fmt.Errorf("seal uninstall --delete-key: not confirmed (got %q, want %q); nothing was deleted", strings.TrimSpace(line), name),
			"type the Secret's name when asked, or pass --yes once the key is backed up")
	}
	return nil
}

// run deletes the install objects in order and says what it kept.
func (u *uninstaller) run(ctx context.Context) error {
	objs, err := uninstallObjects()
	if err != nil {
		return err
	}
	u.printf("Uninstalling seal-agent from the cluster at %s\n", u.where)
	gitSyncs, err := u.listGitSyncs(ctx)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" && o.GetName() == "gitsyncs.seal.dev" {
			// The CRD's deletion deletes every GitSync. The agent is
			// stopped and its rights are gone by now; its finalizer would
			// hold each GitSync (and so the CRD) for ever, and must not
			// delete what they applied, so it is dropped first.
			for i := range gitSyncs {
				if err := u.dropFinalizer(ctx, &gitSyncs[i]); err != nil {
					return err
				}
				u.printf("  %-10s GitSync/%s/%s (with the CRD)\n", "deleting", gitSyncs[i].Namespace, gitSyncs[i].Name)
			}
		}
		if err := u.delete(ctx, o); err != nil {
			return err
		}
	}
	if u.opts.DeleteKey {
		for _, o := range []*unstructured.Unstructured{
			objectOf("v1", "Secret", u.agentNamespace, keyring.DefaultSecretName),
			objectOf("v1", "ConfigMap", u.agentNamespace, keyring.PublicKeyConfigMap),
			objectOf("v1", "Namespace", "", u.agentNamespace),
		} {
			if err := u.delete(ctx, o); err != nil {
				return err
			}
		}
	}
	u.printf("Kept everything the GitSyncs applied: nothing syncs, prunes or corrects it any more.\n")
	if !u.opts.DeleteKey {
		u.printf("Kept Secret %s/%s (seal-agent's private key), ConfigMap %s/%s and Namespace %s: "+
			"seal-agent installed again opens the files sealed for it. seal uninstall --delete-key deletes them.\n",
			u.agentNamespace, keyring.DefaultSecretName, u.agentNamespace, keyring.PublicKeyConfigMap, u.agentNamespace)
	}
	return u.out.err
}

// uninstallObjects is every object of both install modes but the
// Namespace, Deployment first (the agent stops before its rights go) and
// the CRD last.
func uninstallObjects() ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	seen := map[string]bool{}
	for _, tenant := range []bool{false, true} {
		built, err := manifests.Build(manifests.Options{Tenant: tenant})
		if err != nil {
			return nil, err
		}
		for _, o := range built {
			ref := apply.RefOf(o).String()
			if o.GetKind() == "Namespace" || seen[ref] {
				continue
			}
			seen[ref] = true
			objs = append(objs, o)
		}
	}
	rank := func(o *unstructured.Unstructured) int {
		switch o.GetKind() {
		case "Deployment":
			return 0
		case "CustomResourceDefinition":
			return 2
		}
		return 1
	}
	var ordered []*unstructured.Unstructured
	for r := 0; r <= 2; r++ {
		for _, o := range objs {
			if rank(o) == r {
				ordered = append(ordered, o)
			}
		}
	}
	return ordered, nil
}

// listGitSyncs lists every GitSync; none when the CRD is gone already.
func (u *uninstaller) listGitSyncs(ctx context.Context) ([]v1alpha1.GitSync, error) {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	var list v1alpha1.GitSyncList
	err := u.c.List(ctx, &list)
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, kubeError(err, u.where, "listing GitSyncs")
	}
	return list.Items, nil
}

// dropFinalizer removes the agent's finalizer from gs, if it has it.
func (u *uninstaller) dropFinalizer(ctx context.Context, gs *v1alpha1.GitSync) error {
	if !controllerutil.ContainsFinalizer(gs, v1alpha1.Finalizer) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	base := gs.DeepCopy()
	controllerutil.RemoveFinalizer(gs, v1alpha1.Finalizer)
	if err := u.c.Patch(ctx, gs, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
		return withHint(kubeError(err, u.where, fmt.Sprintf("removing the finalizer %s from GitSync %s/%s", v1alpha1.Finalizer, gs.Namespace, gs.Name)),
			"fix what is named above and run seal uninstall again: it carries on where it stopped")
	}
	return nil
}

// delete deletes one object in the background and prints it; an object
// that is not there (the other mode's, or one deleted before) or is being
// deleted already (by an earlier run: a CRD waits for its objects to go)
// is skipped quietly.
func (u *uninstaller) delete(ctx context.Context, o *unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	ref := apply.RefOf(o)
	cur := o.DeepCopy()
	switch err := u.c.Get(ctx, client.ObjectKeyFromObject(o), cur); {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil
	case err == nil && cur.GetDeletionTimestamp() != nil:
		return nil
	}
	err := u.c.Delete(ctx, o.DeepCopy(), client.PropagationPolicy(metav1.DeletePropagationBackground))
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil
	case err != nil:
		return withHint(kubeError(err, u.where, "deleting "+ref.Short()),
			"fix what is named above and run seal uninstall again: it carries on where it stopped")
	}
	u.printf("  %-10s %s\n", "deleted", ref.Short())
	return u.out.err
}

// objectOf is an unstructured object naming one to delete.
func objectOf(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetNamespace(namespace)
	o.SetName(name)
	return o
}

func (u *uninstaller) printf(format string, args ...any) { fmt.Fprintf(u.out, format, args...) }
