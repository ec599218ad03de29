package agent_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// sealAgentChart is the project's own chart, keyed under charts/seal-agent/.
func sealAgentChart(t *testing.T) map[string][]byte {
	t.Helper()
	root := filepath.Join(harness.RepoRoot(), "charts", "seal-agent")
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out["charts/seal-agent/"+filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHelmReleaseOfSealsOwnChart: charts/seal-agent, kept in the
// repository, released by a HelmRelease (the CRD left to the install that
// already made it): the agent applies its namespaced and cluster-scoped
// objects, records the release in status, and prunes all of them, cluster
// roles included, when the release file leaves Git.
func TestHelmReleaseOfSealsOwnChart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	release := "agent-" + e.ns // cluster-scoped names carry the release name
	files := sealAgentChart(t)
	files["apps/agent.yaml"] = fmt.Appendf(nil, `apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: %s
  namespace: %s
spec:
  chart: {path: charts/seal-agent, version: 0.2.0}
  values:
    image: {repository: ghcr.io/seal-gitops/seal-agent, tag: v0.2.0}
    crds: {install: false}
`, release, e.ns)
	files["apps/keep.yaml"] = configMap("keep-config", "kept")
	sha := e.commit("seal-agent as a Helm release", files)
	e.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "apps" })
	e.waitApplied("apps", sha)

	gs := e.get("apps")
	if len(gs.Status.HelmReleases) != 1 {
		t.Fatalf("status.helmReleases = %+v, want the one release", gs.Status.HelmReleases)
	}
	rel := gs.Status.HelmReleases[0]
	if rel.Name != release || rel.Chart != "charts/seal-agent" || rel.Version != "0.2.0" || rel.Objects == 0 {
		t.Errorf("status.helmReleases[0] = %+v", rel)
	}
	var dep appsv1.Deployment
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: release + "-seal-agent"}, &dep); err != nil {
		t.Fatalf("the chart's Deployment: %v", err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != "ghcr.io/seal-gitops/seal-agent:v0.2.0" {
		t.Errorf("Deployment image = %q, want the release's values", got)
	}
	var sa corev1.ServiceAccount
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: release + "-seal-agent"}, &sa); err != nil {
		t.Errorf("the chart's ServiceAccount: %v", err)
	}
	var roles rbacv1.ClusterRoleList
	if err := kube.Client.List(e.ctx, &roles, client.MatchingLabels{v1alpha1.LabelGitSyncNamespace: e.ns, v1alpha1.LabelGitSyncName: "apps"}); err != nil {
		t.Fatal(err)
	}
	if len(roles.Items) == 0 {
		t.Fatal("no ClusterRole of the release carries the GitSync's labels")
	}
	for _, r := range roles.Items {
		t.Logf("applied ClusterRole %s", r.Name)
	}

	// A version bump: the chart's version and the release's pin move
	// together, with a new image tag.
	bumped := map[string][]byte{
		"charts/seal-agent/Chart.yaml": bytes.Replace(files["charts/seal-agent/Chart.yaml"], []byte("version: 0.2.0"), []byte("version: 0.2.1"), 1),
		"apps/agent.yaml": bytes.ReplaceAll(bytes.Replace(files["apps/agent.yaml"], []byte("version: 0.2.0"), []byte("version: 0.2.1"), 1),
			[]byte("tag: v0.2.0"), []byte("tag: v0.2.1")),
	}
	up := e.commit("seal-agent chart 0.2.1", bumped)
	gs = e.waitApplied("apps", up)
	if bump := gs.Status.HelmReleases[0]; bump.Version != "0.2.1" || bump.Digest == rel.Digest {
		t.Errorf("after the bump status.helmReleases[0] = %+v, want version 0.2.1 and a new digest (was %s)", bump, rel.Digest)
	}
	if err := kube.Client.Get(e.ctx, client.ObjectKeyFromObject(&dep), &dep); err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != "ghcr.io/seal-gitops/seal-agent:v0.2.1" {
		t.Errorf("Deployment image after the bump = %q, want v0.2.1", got)
	}

	// The release leaves Git: everything it rendered is pruned, the
	// ConfigMap beside it stays.
	gone := e.commit("remove the release", map[string][]byte{"apps/agent.yaml": nil})
	e.waitApplied("apps", gone)
	if err := kube.Client.Get(e.ctx, client.ObjectKeyFromObject(&dep), &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("the release's Deployment after the release left Git: %v, want not found", err)
	}
	for _, r := range roles.Items {
		err := kube.Client.Get(e.ctx, client.ObjectKey{Name: r.Name}, &rbacv1.ClusterRole{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("ClusterRole %s after the release left Git: %v, want not found", r.Name, err)
		}
	}
	if !e.configMapExists("keep-config") {
		t.Error("keep-config was pruned with the release")
	}
}
