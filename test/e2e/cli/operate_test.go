package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

const operateApp = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  level: info
`

// TestOperateGitSync drives seal get, reconcile, suspend, resume and
// status, as the built binary, against a real GitSync on the real API
// server, synced by the built seal-agent run as a local process.
func TestOperateGitSync(t *testing.T) {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	kube, err := cluster.Start(cluster.Options{Scheme: scheme, CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kube.Stop() })
	git, err := gitserver.Start(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(git.Close)
	repo, err := git.CreateRepo("ops", filepath.Join(t.TempDir(), "ops"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := repo.Commit("settings", map[string][]byte{"clusters/ops/settings.yaml": []byte(operateApp)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := kube.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "seal-system"}}); err != nil {
		t.Fatal(err)
	}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "ops-git"},
		StringData: map[string]string{"username": git.Username, "password": git.Password}}
	if err := kube.Client.Create(ctx, creds); err != nil {
		t.Fatal(err)
	}
	// A long interval: after the first, only requests sync it.
	if err := kube.Client.Create(ctx, &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "ops"},
		Spec: v1alpha1.GitSyncSpec{URL: git.HTTPURL("ops"), Path: "clusters/ops", Interval: metav1.Duration{Duration: time.Hour},
			SecretRef: &v1alpha1.LocalObjectReference{Name: creds.Name}, TargetNamespace: "seal-system"},
	}); err != nil {
		t.Fatal(err)
	}
	e := &installEnv{t: t, kube: kube, repo: repo}
	expect := func(res harness.Result, code int, stdout string) {
		t.Helper()
		if res.ExitCode != code || !regexp.MustCompile(stdout).MatchString(res.Stdout) {
			t.Errorf("exit %d, want %d; stdout does not match %s:\n%s\nstderr:\n%s", res.ExitCode, code, stdout, res.Stdout, res.Stderr)
		}
	}

	// Before the agent runs: never synced, so not Ready (1); a cluster
	// that cannot be reached is told apart (2).
	expect(e.seal(ctx, "get", "gitsyncs"), 0, `(?m)^NAME +READY +REASON +REVISION +AGE +SUSPENDED\nops +Unknown +- +- +\S+ +false\n$`)
	expect(e.seal(ctx, "status"), 1, `(?m)^seal-system +ops +.* +Unknown +not synced yet`)
	expect(e.run(ctx, "status", "--server", "https://127.0.0.1:1", "--kubeconfig", kube.Kubeconfig), 2, `^$`)

	agent := e.startAgent()
	installWaitUntil(t, 90*time.Second, "seal status to exit 0 after the first sync", func() bool {
		return e.seal(ctx, "status").ExitCode == 0
	})

	// reconcile --wait runs as a user who may get, watch and patch
	// GitSyncs but not write their status: it writes none.
	operator := []string{"--as", "gitsync-operator"}
	if err := kube.Client.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "gitsync-operator"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"gitsyncs"}, Verbs: []string{"get", "list", "watch", "patch"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := kube.Client.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "gitsync-operator"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "gitsync-operator"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "gitsync-operator"}},
	}); err != nil {
		t.Fatal(err)
	}

	// Nothing changed in Git: the agent writes no other status for such a
	// sync, yet --wait sees it end (status.lastHandledSyncRequest).
	expect(e.seal(ctx, append([]string{"reconcile", "gitsync", "ops", "--wait"}, operator...)...), 0,
		`^GitSync seal-system/ops: Ready=True \(Succeeded\) at revision `+first[:12]+`: Applied revision `+first[:12]+` \(1 objects\)\n$`)

	// A broken manifest: the outcome of the new sync, and exit 1.
	broken, err := repo.Commit("broken", map[string][]byte{"clusters/ops/broken.yaml": []byte("kind: [\n")})
	if err != nil {
		t.Fatal(err)
	}
	expect(e.seal(ctx, append([]string{"reconcile", "gitsync", "ops", "--wait", "--timeout", "2m"}, operator...)...), 1,
		`^GitSync seal-system/ops: Ready=False \(RenderFailed\) at revision `+broken[:12]+`: .*broken\.yaml`)
	expect(e.seal(ctx, "status", "ops", "-n", "seal-system"), 1, `(?m)^ops +.* +False +.*broken\.yaml`)
	expect(e.seal(ctx, "get", "gitsyncs", "-o", "wide"), 0, `(?m)^ops +False +RenderFailed +`+first[:12]+` +\S+ +false +http://\S+ +main +clusters/ops +`+broken[:12]+` +`)

	// Suspended: shown, and not synced on request.
	expect(e.seal(ctx, "suspend", "gitsync", "ops"), 0, `^GitSync seal-system/ops: suspended\n$`)
	// READY is Unknown: the last outcome was for the spec before.
	suspended := regexp.MustCompile(`^ops +Unknown +Suspended +` + first[:12] + ` +\S+ +true\n$`)
	installWaitUntil(t, 30*time.Second, "seal get gitsync to show the agent saw the suspension", func() bool {
		return suspended.MatchString(e.seal(ctx, "get", "gitsync", "ops", "--no-headers").Stdout)
	})
	res := e.seal(ctx, "reconcile", "gitsync", "ops", "--wait")
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, "seal: error: GitSync seal-system/ops is suspended") {
		t.Errorf("reconcile of a suspended GitSync: exit %d, stderr:\n%s", res.ExitCode, res.Stderr)
	}

	// Resumed with the fix pushed: the agent syncs at once.
	fixed, err := repo.Commit("fix", map[string][]byte{"clusters/ops/broken.yaml": nil})
	if err != nil {
		t.Fatal(err)
	}
	expect(e.seal(ctx, "resume", "gitsync", "ops"), 0, `^GitSync seal-system/ops: resumed\n$`)
	installWaitUntil(t, 90*time.Second, "seal status to exit 0 after resume", func() bool {
		return e.seal(ctx, "status", "ops").ExitCode == 0
	})
	res = e.seal(ctx, "get", "gitsyncs", "ops", "-o", "json")
	var gs v1alpha1.GitSync
	if err := json.Unmarshal([]byte(res.Stdout), &gs); err != nil || res.ExitCode != 0 {
		t.Fatalf("seal get gitsyncs -o json: exit %d, %v:\n%s", res.ExitCode, err, res.Stdout)
	}
	if gs.Spec.Suspend || gs.Status.LastAppliedRevision != fixed {
		t.Errorf("after resume: suspend %v, lastAppliedRevision %q, want false, %q", gs.Spec.Suspend, gs.Status.LastAppliedRevision, fixed)
	}

	// The history the agent kept: fixed, broken, first, newest first.
	expect(e.seal(ctx, "history", "gitsync", "ops"), 0, `^REVISION +AGE +OUTCOME +REASON +CREATED +CONFIGURED +UNCHANGED +DELETED +AUTHOR +SUBJECT\n`+
		fixed[:12]+` +\S+ +Applied +Succeeded +0 +0 +1 +0 +Seal Test +fix\n`+
		broken[:12]+` +\S+ +Failed +RenderFailed +- +- +- +- +Seal Test +broken\n`+
		first[:12]+` +\S+ +Applied +Succeeded +1 +0 +0 +0 +Seal Test +settings\n$`)
	res = e.seal(ctx, "history", "gitsync", "ops", "-o", "json")
	var hist struct {
		APIVersion, Kind string
		Items            []v1alpha1.HistoryEntry
	}
	if err := json.Unmarshal([]byte(res.Stdout), &hist); err != nil || res.ExitCode != 0 || len(hist.Items) != 3 ||
		hist.APIVersion != "seal.dev/v1alpha1" || hist.Kind != "HistoryEntryList" ||
		hist.Items[1].Revision != broken || !strings.Contains(hist.Items[1].Message, "broken.yaml") {
		t.Errorf("seal history gitsync -o json: exit %d, %v, %+v", res.ExitCode, err, hist)
	}
	expect(e.seal(ctx, "history", "gitsync", "ops", "-o", "name"), 0,
		`^historyentry\.seal\.dev/`+fixed+`\nhistoryentry\.seal\.dev/`+broken+`\nhistoryentry\.seal\.dev/`+first+`\n$`)

	if err, killed := agent.Stop(20 * time.Second); err != nil || killed {
		t.Errorf("seal-agent: %v (killed: %v)\n%s", err, killed, agent.Output())
	}
}
