package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/manifests"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

const tenantApp = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: team-a
data:
  level: debug
`

// testImage is the --image of these tests: the in-process seal has no
// version, so it names no default image.
const testImage = "registry.example.com/seal-agent:v9.9.9"

// TestBootstrapModes runs seal bootstrap --dry-run, --export and --tenant,
// the wait for an image that cannot be pulled, and seal uninstall, in
// order, on one real API server with the built agent running as a local
// process in place of the Deployment's pod.
func TestBootstrapModes(t *testing.T) {
	c := startCluster(t, false)
	bins, err := harness.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	git, err := gitserver.Start(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(git.Close)
	repo, err := git.CreateRepo("team", filepath.Join(t.TempDir(), "team"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("app", map[string][]byte{"clusters/team/settings.yaml": []byte(tenantApp)}); err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	auditWrite(t, caFile, string(git.CA))
	e := &bootstrapEnv{t: t, c: c, agent: bins.Agent, wd: repo.Dir(), env: map[string]string{"GIT_TOKEN": git.Password}, tenant: true}
	t.Cleanup(func() { e.stopAgent(t) })
	args := []string{"--url", git.HTTPSURL("team"), "--path", "clusters/team", "--name", "team", "--namespace", "team-a",
		"--token-env", "GIT_TOKEN", "--username", git.Username, "--ca-file", caFile,
		"--tenant", "--service-account", "deployer", "--image", testImage}
	scrubs := map[string]string{git.HTTPSURL("team"): "<GIT-HTTPS-URL>"}
	sopsConfig := filepath.Join(repo.Dir(), keys.ConfigName)
	ctx := context.Background()
	tenantObjs, err := manifests.Build(manifests.Options{Tenant: true, Image: testImage})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("--dry-run on an empty cluster writes nothing", func(t *testing.T) {
		e.t = t
		r := e.bootstrap(append(args, "--dry-run")...)
		if r.Code != ExitOK || r.Stderr != "" {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		golden(t, "bootstrap-dry-run-empty.txt", e.scrub(r.Stdout, scrubs))
		for _, o := range append(tenantObjs, namespaceObject("team-a")) {
			if err := c.Client.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopy()); !apierrors.IsNotFound(err) {
				t.Errorf("%s %s: want not found after --dry-run, got %v", o.GetKind(), o.GetName(), err)
			}
		}
		if _, err := os.Stat(sopsConfig); !os.IsNotExist(err) {
			t.Errorf("--dry-run touched %s: %v", sopsConfig, err)
		}
	})

	t.Run("--export prints the manifests and the GitSync, never the credentials", func(t *testing.T) {
		e.t = t
		r := runSeal(t, e.wd, e.env, "", append([]string{"bootstrap"}, append(args, "--export")...)...)
		if r.Code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		if strings.Contains(r.Stdout+r.Stderr, git.Password) {
			t.Errorf("--export printed the token")
		}
		golden(t, "bootstrap-export-stderr.txt", e.scrub(r.Stderr, scrubs))
		docs := splitYAMLDocs(t, r.Stdout)
		var got []string
		for _, d := range docs {
			got = append(got, d.GetKind()+"/"+d.GetNamespace()+"/"+d.GetName())
		}
		var want []string
		for _, o := range tenantObjs {
			want = append(want, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
		}
		want = append(want, "Namespace//team-a", "GitSync/team-a/team")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exported objects (-want +got):\n%s", diff)
		}
		gs := docs[len(docs)-1]
		spec, _, _ := unstructured.NestedMap(gs.Object, "spec")
		wantSpec := map[string]any{"url": git.HTTPSURL("team"), "ref": map[string]any{"branch": "main"}, "interval": "5m0s",
			"path": "clusters/team", "secretRef": map[string]any{"name": "team-git-credentials"}, "serviceAccountName": "deployer"}
		if diff := cmp.Diff(wantSpec, spec); diff != "" {
			t.Errorf("exported GitSync spec (-want +got):\n%s", diff)
		}
		for _, d := range docs {
			if d.GetKind() == "ClusterRoleBinding" && d.GetName() == "seal-agent-apply" {
				t.Errorf("tenant mode exported the cluster-admin binding seal-agent-apply")
			}
		}
	})

	t.Run("--tenant installs tenant mode and the agent syncs as the service account", func(t *testing.T) {
		e.t = t
		tenantAccount(t, c.Client, "team-a", "deployer", "team-git-credentials")
		r := e.bootstrapWithAgent(args...)
		if r.Code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", r.Code, r.Stderr, r.Stdout)
		}
		golden(t, "bootstrap-tenant.txt", e.scrub(r.Stdout, scrubs))
		gs := e.waitReady("team-a", "team")
		if gs.Spec.ServiceAccountName != "deployer" {
			t.Errorf("GitSync serviceAccountName %q, want deployer", gs.Spec.ServiceAccountName)
		}
		var crb rbacv1.ClusterRoleBinding
		if err := c.Client.Get(ctx, client.ObjectKey{Name: "seal-agent-apply"}, &crb); !apierrors.IsNotFound(err) {
			t.Errorf("tenant mode: ClusterRoleBinding seal-agent-apply: want not found, got %v", err)
		}
		if err := c.Client.Get(ctx, client.ObjectKey{Name: "seal-agent-impersonate"}, &crb); err != nil {
			t.Errorf("tenant mode: %v", err)
		}
		var cm corev1.ConfigMap
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "settings"}, &cm); err != nil {
			t.Errorf("the agent did not apply what the repository holds: %v", err)
		}
	})

	t.Run("--dry-run on the installed cluster: unchanged, and a new image would configure the Deployment", func(t *testing.T) {
		e.t = t
		e.stopAgent(t) // nothing but bootstrap may write now
		extra := []*unstructured.Unstructured{
			objectRef("v1", "Secret", "team-a", "team-git-credentials"),
			objectRef(v1alpha1.GroupVersion.String(), v1alpha1.Kind, "team-a", "team"),
		}
		before, config := e.installedObjects(extra...), auditRead(t, sopsConfig)
		r := e.bootstrap(append(args, "--dry-run")...)
		if r.Code != ExitOK || r.Stderr != "" {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		golden(t, "bootstrap-dry-run-installed.txt", e.scrub(r.Stdout, scrubs))
		newImage := append(append([]string{}, args[:len(args)-1]...), "registry.example.com/seal-agent:v10.0.0", "--dry-run")
		r = e.bootstrap(newImage...)
		if r.Code != ExitOK || !strings.Contains(r.Stdout, "  would configure Deployment/seal-system/seal-agent\n") {
			t.Errorf("exit %d, a new --image does not configure the Deployment:\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if diff := cmp.Diff(before, e.installedObjects(extra...)); diff != "" {
			t.Errorf("--dry-run changed resourceVersions (-before +after):\n%s", diff)
		}
		if auditRead(t, sopsConfig) != config {
			t.Errorf("--dry-run changed %s", sopsConfig)
		}
	})

	t.Run("an image that cannot be pulled ends the wait at once", func(t *testing.T) {
		e.t = t
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: keyring.PublicKeyConfigMap}}
		if err := c.Client.Delete(ctx, cm); err != nil {
			t.Fatal(err)
		}
		// What the kubelet writes for a pod whose image does not exist.
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "seal-agent-7d4b9c-x2x9z",
				Labels: map[string]string{"app.kubernetes.io/name": "seal-agent"}},
			// Admitted by the namespace's "restricted" Pod Security level.
			Spec: corev1.PodSpec{
				SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				Containers: []corev1.Container{{Name: "agent", Image: testImage, SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
			},
		}
		if err := c.Client.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "agent", Image: testImage,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
				Message: `Back-off pulling image "` + testImage + `"`}},
		}}}
		if err := c.Client.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := e.bootstrap(append(args, "--timeout", "10m")...)
		elapsed := time.Since(start)
		if r.Code != ExitFailure {
			t.Errorf("exit %d, want 1", r.Code)
		}
		want := "waiting up to 10m0s for seal-agent to start and publish its key in ConfigMap seal-system/seal-agent-public-key\n" +
			"seal: error: seal-agent cannot start: pod seal-system/seal-agent-7d4b9c-x2x9z cannot pull the image " + testImage +
			" of container agent: ImagePullBackOff: Back-off pulling image \"" + testImage + "\"\n" +
			"seal: hint: push the image to a registry the cluster can pull from (make image IMAGE=REGISTRY/seal-agent:TAG), " +
			"then run seal bootstrap again with --image REGISTRY/seal-agent:TAG (it carries on where it stopped)\n"
		if diff := cmp.Diff(want, r.Stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
		// The wait polls every second; a minute is far from the timeout.
		if elapsed > time.Minute {
			t.Errorf("bootstrap took %s to notice the pull failure, not seconds", elapsed)
		}
		if err := c.Client.Delete(ctx, pod); err != nil {
			t.Fatal(err)
		}
	})

	testUninstall(t, e, tenantObjs)
}

// tenantAccount creates namespace ns with the service account a tenant
// GitSync applies as: it may write ConfigMaps and read its Git
// credentials.
func tenantAccount(t *testing.T, c client.Client, ns, name, secret string) {
	t.Helper()
	ctx := context.Background()
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{secret}, Verbs: []string{"get"}},
		}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// splitYAMLDocs parses a YAML stream into objects, skipping empty
// documents.
func splitYAMLDocs(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(stream, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	return objs
}
