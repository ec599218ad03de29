package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// installSecretValue is the plaintext of the Secret the test encrypts and
// pushes: only the cluster may hold it.
const installSecretValue = "e2e-install-password-never-printed"

const installApp = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  level: info
`

const installSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
stringData:
  password: ` + installSecretValue + `
`

// installEnv is a cluster without Seal, a git server with the environment
// repository, and the outputs of every process run, to search for leaks.
type installEnv struct {
	t       *testing.T
	kube    *cluster.Cluster
	repo    *gitserver.Repo
	outputs []string
}

// seal runs the built seal in the repository's work tree against the
// cluster.
func (e *installEnv) seal(ctx context.Context, args ...string) harness.Result {
	e.t.Helper()
	return e.run(ctx, append(args, "--kubeconfig", e.kube.Kubeconfig)...)
}

// run runs the built seal in the repository's work tree.
func (e *installEnv) run(ctx context.Context, args ...string) harness.Result {
	e.t.Helper()
	res, err := harness.Run(ctx, harness.Command{Path: bin.Seal, Dir: e.repo.Dir(), Args: args})
	if err != nil {
		e.t.Fatalf("seal %s: %v", strings.Join(args, " "), err)
	}
	e.outputs = append(e.outputs, res.Stdout, res.Stderr)
	return res
}

// TestInstall drives the built binaries through what a user does: seal
// bootstrap (with seal-agent run as a local process in place of the
// Deployment's pod, as soon as bootstrap applied it), seal status until
// the agent synced, then the next steps bootstrap prints: encrypt a Secret
// with the rule it wrote, commit, push, and watch the sync with seal
// status -w. A second bootstrap changes nothing.
func TestInstall(t *testing.T) {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	kube, err := cluster.Start(cluster.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kube.Stop() })
	git, err := gitserver.Start(filepath.Join(t.TempDir(), "git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(git.Close)
	repo, err := git.CreateRepo("environments", filepath.Join(t.TempDir(), "environments"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit("shop", map[string][]byte{"clusters/e2e/shop.yaml": []byte(installApp)}); err != nil {
		t.Fatal(err)
	}
	keyDir := t.TempDir()
	installWrite(t, filepath.Join(keyDir, "deploy-key"), git.ClientKey())
	installWrite(t, filepath.Join(keyDir, "known_hosts"), git.KnownHosts())
	e := &installEnv{t: t, kube: kube, repo: repo}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if res := e.seal(ctx, "status"); res.ExitCode != 2 || !strings.Contains(res.Stderr, "seal-agent is not installed") {
		t.Errorf("seal status before bootstrap: exit %d, stderr:\n%s", res.ExitCode, res.Stderr)
	}

	bootstrap := []string{"bootstrap", "--url", git.SSHURL("environments"), "--branch", "main", "--path", "clusters/e2e",
		"--ssh-key", filepath.Join(keyDir, "deploy-key"), "--known-hosts", filepath.Join(keyDir, "known_hosts"),
		// The test build has no version, so it names no default image.
		"--image", "registry.example.com/seal-agent:e2e"}
	done := make(chan harness.Result, 1)
	go func() {
		res, _ := harness.Run(ctx, harness.Command{Path: bin.Seal, Dir: repo.Dir(), Args: append(bootstrap, "--kubeconfig", kube.Kubeconfig)})
		done <- res
	}()
	installWaitUntil(t, time.Minute, "bootstrap applies the agent's Deployment", func() bool {
		return kube.Client.Get(ctx, client.ObjectKey{Namespace: "seal-system", Name: "seal-agent"}, &appsv1.Deployment{}) == nil
	})
	agent := e.startAgent()
	first := <-done
	e.outputs = append(e.outputs, first.Stdout, first.Stderr)
	if first.ExitCode != 0 {
		t.Fatalf("seal bootstrap: exit %d\n%s\n%s", first.ExitCode, first.Stdout, first.Stderr)
	}
	for _, want := range []string{"  created    CustomResourceDefinition/gitsyncs.seal.dev\n", "  created    GitSync/seal-system/main\n",
		"  created    .sops.yaml (new file) rule for path_regex ^clusters/e2e/.*\\.ya?ml$\n", "seal status -w -n seal-system main\n"} {
		if !strings.Contains(first.Stdout, want) {
			t.Errorf("bootstrap's output lacks %q:\n%s", want, first.Stdout)
		}
	}

	// seal status exits 0 once the GitSync is Ready: CI can wait on it.
	var status harness.Result
	installWaitUntil(t, 90*time.Second, "seal status to exit 0", func() bool {
		status = e.seal(ctx, "status")
		return status.ExitCode == 0
	})
	if !regexp.MustCompile(`(?m)^seal-system +main +ssh://\S+@main +[0-9a-f]{12} +True +Applied revision`).MatchString(status.Stdout) {
		t.Errorf("seal status:\n%s", status.Stdout)
	}

	// The next steps: encrypt with the rule bootstrap wrote, commit, push,
	// ask for a sync and watch it.
	installWrite(t, filepath.Join(repo.Dir(), "clusters/e2e/db-secret.yaml"), []byte(installSecret))
	if res := e.run(ctx, "-i", "clusters/e2e/db-secret.yaml"); res.ExitCode != 0 {
		t.Fatalf("seal -i: exit %d: %s", res.ExitCode, res.Stderr)
	}
	head, err := repo.CommitAll("Encrypted db Secret")
	if err != nil {
		t.Fatal(err)
	}
	watch, err := harness.Start(harness.Command{Path: bin.Seal, Dir: repo.Dir(),
		Args: []string{"status", "-w", "-n", "seal-system", "main", "--kubeconfig", kube.Kubeconfig}})
	if err != nil {
		t.Fatal(err)
	}
	installWaitUntil(t, 30*time.Second, "seal status -w to list the GitSync", func() bool { return strings.Count(watch.Output(), "\n") >= 2 })
	var gs v1alpha1.GitSync
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: "seal-system", Name: "main"}, &gs); err != nil {
		t.Fatal(err)
	}
	// A merge patch: no resourceVersion to conflict with the agent's
	// status writes.
	patch := client.MergeFrom(gs.DeepCopy())
	gs.Annotations = map[string]string{v1alpha1.AnnotationSyncRequested: head}
	if err := kube.Client.Patch(ctx, &gs, patch); err != nil {
		t.Fatal(err)
	}
	newLine := regexp.MustCompile(`(?m)^main +\S+ +` + head[:12] + ` +True +Applied revision ` + head[:12])
	installWaitUntil(t, 90*time.Second, "seal status -w to show the new revision Ready", func() bool { return newLine.MatchString(watch.Output()) })
	if err, killed := watch.Stop(10 * time.Second); err != nil || killed {
		t.Errorf("seal status -w after SIGTERM: %v (killed: %v), want exit 0 as the GitSync is Ready", err, killed)
	}
	e.outputs = append(e.outputs, watch.Output())
	var secret corev1.Secret
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "db"}, &secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["password"]) != installSecretValue {
		t.Errorf("the Secret applied by the agent does not hold the value encrypted in Git")
	}

	// -o json gives the objects to scripts.
	res := e.seal(ctx, "status", "main", "-n", "seal-system", "-o", "json")
	var obj v1alpha1.GitSync
	if err := json.Unmarshal([]byte(res.Stdout), &obj); err != nil || res.ExitCode != 0 {
		t.Fatalf("seal status -o json: exit %d, %v:\n%s", res.ExitCode, err, res.Stdout)
	}
	if obj.Status.LastAppliedRevision != head {
		t.Errorf("status.lastAppliedRevision %q, want %q", obj.Status.LastAppliedRevision, head)
	}

	// Again: everything is unchanged, .sops.yaml too.
	sopsConfig := filepath.Join(repo.Dir(), ".sops.yaml")
	before := installRead(t, sopsConfig)
	again := e.seal(ctx, bootstrap...)
	if again.ExitCode != 0 {
		t.Fatalf("second seal bootstrap: exit %d\n%s", again.ExitCode, again.Stderr)
	}
	for _, line := range strings.Split(again.Stdout, "\n") {
		if strings.Contains(line, "created") || strings.Contains(line, "configured") || strings.Contains(line, "updated") {
			t.Errorf("second bootstrap changed something: %q", line)
		}
	}
	if strings.Count(again.Stdout, "  unchanged  ") != 17 {
		t.Errorf("second bootstrap: want 17 unchanged objects and rule:\n%s", again.Stdout)
	}
	if installRead(t, sopsConfig) != before {
		t.Errorf(".sops.yaml changed on the second run")
	}

	if err, killed := agent.Stop(20 * time.Second); err != nil || killed {
		t.Errorf("seal-agent: %v (killed: %v)\n%s", err, killed, agent.Output())
	}
	e.outputs = append(e.outputs, agent.Output())
	for _, out := range e.outputs {
		if strings.Contains(out, installSecretValue) {
			t.Errorf("a process printed the Secret's value")
		}
	}
}

// startAgent runs the built seal-agent against the cluster, as the pod of
// the Deployment bootstrap applied would.
func (e *installEnv) startAgent() *harness.Process {
	e.t.Helper()
	p, err := harness.Start(harness.Command{Path: bin.Agent, Dir: e.t.TempDir(), Args: []string{
		"--kubeconfig", e.kube.Kubeconfig, "--agent-namespace", "seal-system",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--webhook-bind-address", "0",
		"--data-dir", filepath.Join(e.t.TempDir(), "data"),
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.Stop(20 * time.Second) })
	return p
}

func installWaitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func installWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func installRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
