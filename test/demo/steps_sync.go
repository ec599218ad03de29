package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/internal/atomicfile"
)

// createGitSync stores the git credentials and applies a GitSync for the
// repository, then waits for the first sync.
func (d *demo) createGitSync(ctx context.Context) error {
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: syncName + "-git", Namespace: agentNamespace},
		StringData: map[string]string{"username": d.git.Username, "password": d.git.Password},
	}
	if err := d.kube.Client.Create(ctx, creds); err != nil {
		return objectErr("Secret", creds.Namespace+"/"+creds.Name, "%w", err)
	}
	d.say.say("Secret %s/%s holds the git server's username and password", creds.Namespace, creds.Name)
	manifest := gitSyncYAML(d.git.HTTPURL(d.repo.Name))
	if err := atomicfile.WriteFile(filepath.Join(d.tmp, "gitsync.yaml"), manifest, 0o644); err != nil {
		return fmt.Errorf("gitsync.yaml: %w", err)
	}
	d.say.say("gitsync.yaml:")
	d.say.block(string(manifest))
	out, err := d.kubectl(ctx, "apply", "-f", "gitsync.yaml")
	if err != nil {
		return err
	}
	d.say.output(out)

	start := time.Now()
	gs, err := d.waitSynced(ctx, d.revision)
	if err != nil {
		return err
	}
	d.say.say("synced revision %s %s after the GitSync was created: %s", d.revision[:8], seconds(time.Since(start)), summary(gs.Status.LastSync))
	for _, k := range gs.Status.DecryptionKeys {
		d.say.say("decrypted %s in memory with the agent's key %s", plural(int(k.Files), "file"), k.Fingerprint)
	}
	var objs []string
	for _, entry := range gs.Status.AppliedObjects {
		o, err := v1alpha1.ParseObjectRef(entry)
		if err != nil {
			return fmt.Errorf("GitSync status: appliedObjects: %w", err)
		}
		objs = append(objs, o.Kind+" "+o.Name)
	}
	d.say.say("applied to namespace %s: %s", appNamespace, strings.Join(objs, ", "))
	d.say.say("(no Pod ran: this cluster has no nodes; the demo wrote the rollout status the controllers would)")
	return nil
}

// checkSecret compares the Secret in the cluster with the plaintext that
// was sealed.
func (d *demo) checkSecret(ctx context.Context) error {
	var s corev1.Secret
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: "db"}, &s); err != nil {
		return objectErr("Secret", appNamespace+"/db", "%w", err)
	}
	want := map[string]string{"username": dbUser, "password": d.password}
	names := make([]string, 0, len(s.Data))
	for name := range s.Data {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) != len(want) {
		return objectErr("Secret", appNamespace+"/db", "has keys %v, want password and username", names)
	}
	for _, name := range names {
		w, ok := want[name]
		if !ok {
			return objectErr("Secret", appNamespace+"/db", "has a key %q that was not sealed", name)
		}
		if string(s.Data[name]) != w {
			return objectErr("Secret", appNamespace+"/db", "key %s differs from the value sealed in Git", name)
		}
		d.say.say("db/%s matches the value sealed in Git (%s)", name, w)
	}
	d.say.say("labels %s=%s, %s=%s: seal-agent owns it, and will prune it if it leaves Git",
		v1alpha1.LabelGitSyncName, s.Labels[v1alpha1.LabelGitSyncName],
		v1alpha1.LabelGitSyncNamespace, s.Labels[v1alpha1.LabelGitSyncNamespace])
	return nil
}

// showStatus runs seal status and prints its table.
func (d *demo) showStatus(ctx context.Context) error {
	res, err := d.runSeal(ctx, "status", "--kubeconfig", "../kubeconfig", "--namespace", agentNamespace)
	if err != nil {
		return err
	}
	d.say.output(res.Stdout)
	return nil
}

// configMapGreeting is the greeting in the cluster's ConfigMap.
func (d *demo) configMapGreeting(ctx context.Context) (string, error) {
	var cm corev1.ConfigMap
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: "web-config"}, &cm); err != nil {
		return "", fmt.Errorf("ConfigMap %s/web-config: %w", appNamespace, err)
	}
	return cm.Data["greeting"], nil
}

// correctDrift edits the ConfigMap in the cluster and waits for the
// agent's next scheduled sync to put Git's value back.
func (d *demo) correctDrift(ctx context.Context) error {
	const edited = "edited by hand"
	edit := time.Now()
	out, err := d.kubectl(ctx, "--namespace", appNamespace, "patch", "configmap", "web-config",
		"--type", "merge", "--patch", fmt.Sprintf(`{"data":{"greeting":%q}}`, edited))
	if err != nil {
		return err
	}
	d.say.output(out)
	got, err := d.configMapGreeting(ctx)
	if err != nil {
		return err
	}
	if got != edited {
		return fmt.Errorf("ConfigMap %s/web-config: greeting is %q after the patch, want %q", appNamespace, got, edited)
	}
	d.say.say("the cluster now says greeting=%s, Git still says %s", got, firstGreeting)
	d.say.say("no commit, no sync request: waiting for seal-agent's next scheduled sync (interval %s)…", syncInterval)
	var gs *v1alpha1.GitSync
	err = d.poll(ctx, 3*syncInterval, "seal-agent to put the ConfigMap back", func() (bool, error) {
		got, err := d.configMapGreeting(ctx)
		if err != nil || got != firstGreeting {
			return false, err
		}
		if gs, err = d.gitSync(ctx); err != nil {
			return false, err
		}
		last := gs.Status.LastSync
		return last != nil && last.DriftCorrected > 0 && !last.Time.Time.Before(edit.Truncate(time.Second)), nil
	})
	if err != nil {
		return err
	}
	d.say.say("put back %s after the edit: greeting=%s (%s; revision still %s)",
		seconds(time.Since(edit)), firstGreeting, summary(gs.Status.LastSync), gs.Status.LastAppliedRevision[:8])
	return nil
}

// rollOut commits a change and waits for it to reach the cluster.
func (d *demo) rollOut(ctx context.Context) error {
	const msg = "Scale web to 3 replicas, new greeting"
	sha, err := d.repo.Commit(msg, map[string][]byte{
		deploymentFile: deploymentYAML(3),
		configMapFile:  configMapYAML(nextGreeting),
	})
	if err != nil {
		return err
	}
	d.say.say("commit %s %q: %s replicas 2 → 3, %s greeting %s → %s", sha[:8], msg, deploymentFile, configMapFile, firstGreeting, nextGreeting)
	if err := d.requestSync(ctx); err != nil {
		return err
	}
	d.say.say("(what a push webhook does; otherwise the next scheduled sync would pick it up within %s)", syncInterval)
	gs, err := d.waitSynced(ctx, sha)
	if err != nil {
		return err
	}
	d.say.say("synced revision %s: %s", sha[:8], summary(gs.Status.LastSync))
	var dep appsv1.Deployment
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: "web"}, &dep); err != nil {
		return objectErr("Deployment", appNamespace+"/web", "%w", err)
	}
	replicas := int32(1) // the API's default
	if dep.Spec.Replicas != nil {
		replicas = *dep.Spec.Replicas
	}
	if replicas != 3 {
		return objectErr("Deployment", appNamespace+"/web", "spec.replicas is %d after the sync, want 3", replicas)
	}
	greeting, err := d.configMapGreeting(ctx)
	if err != nil {
		return err
	}
	if greeting != nextGreeting {
		return fmt.Errorf("ConfigMap %s/web-config: greeting is %q after the sync, want %q", appNamespace, greeting, nextGreeting)
	}
	d.say.say("Deployment %s/web: replicas=3; ConfigMap %s/web-config: greeting=%s", appNamespace, appNamespace, greeting)
	return nil
}

// prune removes the Service's file from Git and waits for the agent to
// delete the Service.
func (d *demo) prune(ctx context.Context) error {
	const msg = "Remove the web Service"
	sha, err := d.repo.Commit(msg, map[string][]byte{serviceFile: nil})
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(d.repo.Dir(), filepath.FromSlash(serviceFile))); !os.IsNotExist(err) {
		return fmt.Errorf("%s is still in the work tree after the commit", serviceFile)
	}
	d.say.say("commit %s %q: deletes %s", sha[:8], msg, serviceFile)
	if err := d.requestSync(ctx); err != nil {
		return err
	}
	gs, err := d.waitSynced(ctx, sha)
	if err != nil {
		return err
	}
	d.say.say("synced revision %s: %s", sha[:8], summary(gs.Status.LastSync))
	var svc corev1.Service
	err = d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: "web"}, &svc)
	if err == nil {
		return objectErr("Service", appNamespace+"/web", "still in the cluster after the sync")
	}
	if !apierrors.IsNotFound(err) {
		return objectErr("Service", appNamespace+"/web", "%w", err)
	}
	d.say.say("Service %s/web: not found, pruned; the Deployment, ConfigMap and Secret stay (%d objects in the inventory)",
		appNamespace, len(gs.Status.AppliedObjects))
	return nil
}
