package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
)

// testUninstall runs seal uninstall on the cluster TestBootstrapModes
// installed in tenant mode: the agent goes, what it applied and its key
// stay; --delete-key asks first, then deletes the key and its namespace.
func testUninstall(t *testing.T, e *bootstrapEnv, installed []*unstructured.Unstructured) {
	c, ctx := e.c, context.Background()
	uninstall := func(stdin string, args ...string) cliRun {
		return runSeal(e.t, e.wd, nil, stdin, append([]string{"uninstall", "--kubeconfig", c.Kubeconfig}, args...)...)
	}
	exists := func(o client.Object) bool {
		err := c.Client.Get(ctx, client.ObjectKeyFromObject(o), o)
		if err != nil && !apierrors.IsNotFound(err) {
			e.t.Fatal(err)
		}
		return err == nil && o.GetDeletionTimestamp() == nil
	}
	key := &corev1.Secret{}
	key.Namespace, key.Name = "seal-system", keyring.DefaultSecretName

	t.Run("uninstall keeps what Git applied and the key", func(t *testing.T) {
		e.t = t
		r := uninstall("")
		if r.Code != ExitOK || r.Stderr != "" {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		golden(t, "uninstall.txt", e.scrub(r.Stdout, nil))
		for _, o := range installed {
			if o.GetKind() == "Namespace" {
				continue
			}
			if live := o.DeepCopy(); exists(live) {
				t.Errorf("%s %s is still installed", o.GetKind(), client.ObjectKeyFromObject(o))
			}
		}
		gs := &v1alpha1.GitSync{}
		gs.Namespace, gs.Name = "team-a", "team"
		// The CRD's deletion removes its GitSyncs in the background.
		if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), gs)
			return err != nil || gs.DeletionTimestamp != nil, nil
		}); err != nil {
			t.Errorf("GitSync team-a/team is still there 30 s after the uninstall")
		}
		cm := &corev1.ConfigMap{}
		cm.Namespace, cm.Name = "team-a", "settings"
		if !exists(cm) {
			t.Errorf("ConfigMap team-a/settings, applied from Git, was deleted")
		}
		ns := &corev1.Namespace{}
		ns.Name = "seal-system"
		if !exists(key.DeepCopy()) || !exists(ns) {
			t.Errorf("the key Secret or its namespace was deleted without --delete-key")
		}
		if again := uninstall(""); again.Code != ExitOK || !strings.HasPrefix(again.Stdout, "Uninstalling") || strings.Contains(again.Stdout, "deleted") {
			t.Errorf("a second uninstall: exit %d, stdout:\n%s%s", again.Code, again.Stdout, again.Stderr)
		}
	})

	t.Run("--delete-key warns, and deletes nothing unless confirmed", func(t *testing.T) {
		e.t = t
		r := uninstall("no\n", "--delete-key")
		want := "warning: --delete-key deletes Secret seal-system/seal-agent-key, seal-agent's private key. " +
			"Files sealed only for seal-agent can never be decrypted again without it. Back it up first, and keep the copy offline:\n" +
			"  kubectl -n seal-system get secret seal-agent-key -o yaml > seal-agent-key.yaml\n" +
			"Type seal-agent-key to delete it: \n" +
			"seal: error: seal uninstall --delete-key: not confirmed (got \"no\", want \"seal-agent-key\"); nothing was deleted\n" +
			"seal: hint: type the Secret's name when asked, or pass --yes once the key is backed up\n"
		if r.Code != ExitFailure || r.Stdout != "" {
			t.Errorf("exit %d, stdout %q", r.Code, r.Stdout)
		}
		if diff := cmp.Diff(want, r.Stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
		if !exists(key.DeepCopy()) {
			t.Fatalf("the key was deleted without confirmation")
		}
		r = uninstall("seal-agent-key\n", "--delete-key")
		if r.Code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		golden(t, "uninstall-delete-key.txt", e.scrub(r.Stdout, nil))
		if exists(key.DeepCopy()) {
			t.Errorf("the key Secret is still there")
		}
		ns := &corev1.Namespace{}
		ns.Name = "seal-system"
		// The namespace controller (not run here) removes it for good.
		if err := c.Client.Get(ctx, client.ObjectKeyFromObject(ns), ns); err != nil || ns.DeletionTimestamp == nil {
			t.Errorf("Namespace seal-system is not being deleted: %v", err)
		}
	})

	t.Run("flag mistakes and credentials that are not cluster-admin", func(t *testing.T) {
		e.t = t
		r := uninstall("", "--yes")
		if r.Code != ExitUsage || r.Stderr != "seal: error: --yes confirms --delete-key, which was not given\n" {
			t.Errorf("--yes alone: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = runSeal(t, e.wd, nil, "", "uninstall", "--kubeconfig", impersonatingKubeconfig(t, c, "nobody"))
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, "your credentials are not cluster-admin, and seal uninstall needs it") {
			t.Errorf("not cluster-admin: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}
