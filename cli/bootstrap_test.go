package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

const bootstrapApp = `apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: apps
data:
  level: debug
`

// TestBootstrap installs seal-agent into a real API server, with the
// built agent running as a local process in place of the Deployment's pod
// and a real git server, then runs bootstrap again and through its
// failures. The subtests run in order: each builds on the cluster the
// previous ones left.
func TestBootstrap(t *testing.T) {
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
	repo, err := git.CreateRepo("fleet", filepath.Join(t.TempDir(), "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	// Each GitSync owns what it applies: the HTTPS ones sync directories
	// of their own.
	https := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: default\ndata:\n  via: https\n")
	}
	if _, err := repo.Commit("app", map[string][]byte{"clusters/test/app.yaml": []byte(bootstrapApp),
		"clusters/token/settings.yaml": https("token"), "clusters/password/settings.yaml": https("password")}); err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	sshKey, knownHosts, caFile := filepath.Join(files, "deploy-key"), filepath.Join(files, "known_hosts"), filepath.Join(files, "ca.pem")
	auditWrite(t, sshKey, string(git.ClientKey()))
	auditWrite(t, knownHosts, string(git.KnownHosts()))
	auditWrite(t, caFile, string(git.CA))
	// The checkout bootstrap runs in is the repository's own work tree.
	e := &bootstrapEnv{t: t, c: c, agent: bins.Agent, wd: repo.Dir(),
		env: map[string]string{"GIT_TOKEN": git.Password, "GIT_PASSWORD": git.Password}}
	t.Cleanup(func() { e.stopAgent(t) })
	sshArgs := []string{"--url", git.SSHURL("fleet"), "--branch", "main", "--path", "clusters/test",
		"--ssh-key", sshKey, "--known-hosts", knownHosts, "--image", testImage}
	scrubs := map[string]string{git.SSHURL("fleet"): "<GIT-SSH-URL>", git.HTTPSURL("fleet"): "<GIT-HTTPS-URL>"}
	sopsConfig := filepath.Join(repo.Dir(), keys.ConfigName)
	ctx := context.Background()

	t.Run("installs, waits for the agent, and the agent syncs", func(t *testing.T) {
		e.t = t
		r := e.bootstrapWithAgent(sshArgs...)
		if r.Code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", r.Code, r.Stderr, r.Stdout)
		}
		golden(t, "bootstrap-first.txt", e.scrub(r.Stdout, scrubs))
		e.installedObjects()

		var secret corev1.Secret
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: "seal-system", Name: "main-git-credentials"}, &secret); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(secret.Data["identity"], git.ClientKey()) || !bytes.Equal(secret.Data["known_hosts"], git.KnownHosts()) || len(secret.Data) != 2 {
			t.Errorf("Secret main-git-credentials holds keys %v, or not the key files given", mapKeys(secret.Data))
		}
		gs := e.waitReady("seal-system", "main")
		want := v1alpha1.GitSyncSpec{URL: git.SSHURL("fleet"), Ref: v1alpha1.GitRef{Branch: "main"}, Path: "clusters/test",
			Interval: metav1.Duration{Duration: v1alpha1.DefaultInterval}, SecretRef: &v1alpha1.LocalObjectReference{Name: "main-git-credentials"}}
		got := gs.Spec
		got.Timeout, got.Prune, got.Wait, got.DeletionPolicy = nil, nil, nil, "" // defaults of the API server
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GitSync spec (-want +got):\n%s", diff)
		}
		if !hasManager(gs.ManagedFields, bootstrapFieldManager) {
			t.Errorf("GitSync not applied by field manager %s: %+v", bootstrapFieldManager, gs.ManagedFields)
		}
		var cm corev1.ConfigMap
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: "apps", Name: "settings"}, &cm); err != nil {
			t.Errorf("the agent did not apply what the repository holds: %v", err)
		}

		cfg, err := keys.LoadConfig(sopsConfig)
		if err != nil {
			t.Fatal(err)
		}
		rule, err := cfg.RuleFor(filepath.Join(repo.Dir(), "clusters/test/db-secret.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{e.recipient()}, rule.Recipients); diff != "" {
			t.Errorf(".sops.yaml rule recipients (-want +got):\n%s", diff)
		}
		if _, err := cfg.RuleFor(filepath.Join(repo.Dir(), "clusters/other/db.yaml")); err == nil {
			t.Errorf("the rule also covers files outside --path")
		}
	})

	t.Run("HTTPS with a token or a password from the environment", func(t *testing.T) {
		e.t = t
		if e.proc == nil {
			t.Fatal("the agent of the first subtest is not running")
		}
		for _, tt := range []struct {
			name, namespace string
			creds           []string
			golden          string
		}{
			{"token", "apps-token", []string{"--token-env", "GIT_TOKEN", "--username", "seal"}, "bootstrap-https.txt"},
			{"password", "seal-system", []string{"--username", "seal", "--password-env", "GIT_PASSWORD"}, ""},
		} {
			args := append([]string{"--url", git.HTTPSURL("fleet"), "--path", "clusters/" + tt.name, "--name", tt.name,
				"--namespace", tt.namespace, "--ca-file", caFile, "--image", testImage}, tt.creds...)
			r := e.bootstrap(args...)
			if r.Code != ExitOK {
				t.Fatalf("%s: exit %d; stderr:\n%s", tt.name, r.Code, r.Stderr)
			}
			if strings.Contains(r.Stdout+r.Stderr, git.Password) || strings.Contains(e.proc.Output(), git.Password) {
				t.Errorf("%s: the credential was printed", tt.name)
			}
			if tt.golden != "" {
				golden(t, tt.golden, e.scrub(r.Stdout, scrubs))
			}
			var secret corev1.Secret
			if err := c.Client.Get(ctx, client.ObjectKey{Namespace: tt.namespace, Name: tt.name + "-git-credentials"}, &secret); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"username": "seal", "password": git.Password, "ca.crt": string(git.CA)}
			got := map[string]string{}
			for k, v := range secret.Data {
				got[k] = string(v)
			}
			if !cmp.Equal(want, got) {
				t.Errorf("%s: Secret holds keys %v, or not the values given", tt.name, mapKeys(secret.Data))
			}
			e.waitReady(tt.namespace, tt.name)
		}
	})

	t.Run("a second run changes nothing", func(t *testing.T) {
		e.t = t
		e.stopAgent(t) // nothing but bootstrap may write now
		extra := []*unstructured.Unstructured{
			objectRef("v1", "Secret", "seal-system", "main-git-credentials"),
			objectRef(v1alpha1.GroupVersion.String(), v1alpha1.Kind, "seal-system", "main"),
		}
		before, config := e.installedObjects(extra...), auditRead(t, sopsConfig)
		r := e.bootstrap(sshArgs...)
		if r.Code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
		}
		golden(t, "bootstrap-again.txt", e.scrub(r.Stdout, scrubs))
		if diff := cmp.Diff(before, e.installedObjects(extra...)); diff != "" {
			t.Errorf("resourceVersions changed (-before +after):\n%s", diff)
		}
		if auditRead(t, sopsConfig) != config {
			t.Errorf("%s changed", sopsConfig)
		}
	})

	t.Run("an agent that does not start: the timeout says why", func(t *testing.T) {
		e.t = t
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: keyring.PublicKeyConfigMap}}
		if err := c.Client.Delete(ctx, cm); err != nil {
			t.Fatal(err)
		}
		r := e.bootstrap(append(sshArgs, "--timeout", "2s")...)
		want := []string{
			"waiting up to 2s for seal-agent to start and publish its key in ConfigMap seal-system/seal-agent-public-key\n",
			"seal: error: seal-agent did not publish its key within 2s: ConfigMap seal-system/seal-agent-public-key does not exist yet; " +
				"Deployment seal-system/seal-agent has 0 of 1 replicas available, and no conditions: no controller has acted on it yet (is kube-controller-manager running?)\n",
			"seal: hint: see why it does not run with kubectl -n seal-system describe deploy/seal-agent (and kubectl -n seal-system logs deploy/seal-agent), " +
				"then run seal bootstrap again (it carries on where it stopped), with a longer --timeout if it is only slow\n",
		}
		if r.Code != ExitFailure {
			t.Errorf("exit %d, want 1", r.Code)
		}
		if diff := cmp.Diff(strings.Join(want, ""), r.Stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
		if !strings.Contains(r.Stdout, "  unchanged  Deployment/seal-system/seal-agent\n") {
			t.Errorf("stdout does not report the install:\n%s", r.Stdout)
		}

		// On a terminal the wait is a spinner redrawn in place, saying how
		// the Deployment is doing, instead of the plain lines.
		f, _, errOut := testFactory(e.wd, e.env, "")
		f.IO.ErrTerminal = true
		code := run(context.Background(), f, append([]string{"bootstrap", "--kubeconfig", e.c.Kubeconfig}, append(sshArgs, "--timeout", "2s")...))
		spinner, _, _ := strings.Cut(errOut.String(), "seal: error: ")
		if code != ExitFailure || !strings.Contains(spinner, "\r") || !strings.Contains(spinner, "waiting for seal-agent to start: Deployment seal-system/seal-agent has 0 of 1 replicas") ||
			strings.Contains(spinner, "waiting up to") || !strings.Contains(errOut.String(), want[1]) {
			t.Errorf("terminal: exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("credentials that are not cluster-admin", func(t *testing.T) {
		e.t = t
		r := runSeal(t, e.wd, e.env, "", append([]string{"bootstrap", "--kubeconfig", impersonatingKubeconfig(t, c, "nobody")}, sshArgs...)...)
		want := "seal: error: the cluster at " + strings.TrimSuffix(c.Config.Host, "/") + " (context envtest): your credentials are not cluster-admin, " +
			"and seal bootstrap needs it: it installs a CRD and ClusterRoles, and binds seal-agent to cluster-admin so that it can apply whatever Git holds\n" +
			"seal: hint: " + adminHint + "\n"
		if r.Code != ExitFailure || r.Stdout != "" {
			t.Errorf("exit %d, stdout %q", r.Code, r.Stdout)
		}
		if diff := cmp.Diff(want, r.Stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
	})

	t.Run("a cluster that cannot be reached", func(t *testing.T) {
		e.t = t
		dead := filepath.Join(t.TempDir(), "kubeconfig")
		auditWrite(t, dead, strings.Join([]string{
			"apiVersion: v1", "kind: Config", "current-context: dead",
			"clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1'}}]",
			"contexts: [{name: dead, context: {cluster: dead, user: u}}]",
			"users: [{name: u, user: {token: t}}]", ""}, "\n"))
		r := runSeal(t, e.wd, e.env, "", append([]string{"bootstrap", "--kubeconfig", dead}, sshArgs...)...)
		for _, w := range []string{
			"seal: error: cannot reach the cluster at https://127.0.0.1:1 (context dead): ",
			"seal: hint: check that the cluster is up and that --context and --kubeconfig point at it\n",
		} {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
			}
		}
		if r.Code != ExitFailure || r.Stdout != "" {
			t.Errorf("exit %d, stdout %q", r.Code, r.Stdout)
		}
	})
}

func hasManager(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager {
			return true
		}
	}
	return false
}

func mapKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
