package cli_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestVersionMakeBuild builds both binaries with `make build`, which
// stamps the version and the commit in, and asks each for its version.
func TestVersionMakeBuild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := harness.RepoRoot()
	out := t.TempDir()
	before, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	build := exec.CommandContext(ctx, "make", "--no-print-directory", "build", "BIN="+out, "VERSION=v9.8.7-e2e")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	// Others may commit while make runs: the stamped commit is HEAD as
	// make saw it, so it lies between HEAD before and HEAD now.
	want := regexp.MustCompile(`^v9\.8\.7-e2e \(commit ([0-9a-f]{12}), go1\.\d+(\.\d+)? \w+/\w+\)\n$`)
	stamped := map[string]bool{}
	for _, tt := range []struct{ bin, prefix string }{
		{"seal", "seal "}, {"seal-agent", "seal-agent "},
	} {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			if tt.bin == "seal-agent" && args[0] == "version" {
				continue
			}
			res := run(ctx, t, harness.Command{Path: filepath.Join(out, tt.bin), Args: args, Dir: t.TempDir()})
			line := strings.TrimPrefix(res.Stdout, tt.prefix)
			if args[0] == "version" {
				line = strings.TrimPrefix(res.Stdout, "seal:       ")
			}
			m := want.FindStringSubmatch(line)
			if res.ExitCode != 0 || m == nil {
				t.Errorf("%s %s: exit %d, stdout %q, want %s%s; stderr:\n%s", tt.bin, args[0], res.ExitCode, res.Stdout, tt.prefix, want, res.Stderr)
				continue
			}
			stamped[m[1]] = true
		}
	}
	if len(stamped) != 1 {
		t.Fatalf("the binaries name different commits: %v", stamped)
	}
	for c := range stamped {
		for _, check := range [][]string{
			{"merge-base", "--is-ancestor", strings.TrimSpace(string(before)), c},
			{"merge-base", "--is-ancestor", c, "HEAD"},
		} {
			if err := exec.Command("git", append([]string{"-C", root}, check...)...).Run(); err != nil {
				t.Errorf("stamped commit %s: git %s: %v", c, strings.Join(check, " "), err)
			}
		}
	}
}

// TestVersionAgentFromCluster: seal version --client=false reads the
// agent's version from its Deployment on a real API server.
func TestVersionAgentFromCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kube, err := cluster.Start(cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kube.Stop() })
	dir := t.TempDir()
	seal := func(args ...string) harness.Result {
		return run(ctx, t, harness.Command{Path: bin.Seal, Dir: dir, Args: append(args, "--kubeconfig", kube.Kubeconfig)})
	}

	res := seal("version", "--client=false")
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, "seal: error: Deployment seal-system/seal-agent not found in the cluster at ") ||
		!strings.Contains(res.Stderr, "seal: hint: install it with seal bootstrap, or pass -n with the namespace it runs in\n") {
		t.Errorf("not installed: exit %d, stderr:\n%s", res.ExitCode, res.Stderr)
	}

	const image = "registry.example.com/seal/seal-agent:v1.2.3"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "agents"}}
	labels := map[string]string{"app.kubernetes.io/name": "seal-agent"}
	replicas := int32(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "seal-agent", Namespace: "agents"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "sidecar", Image: "busybox:1"},
					{Name: "agent", Image: image},
				}},
			},
		},
	}
	if err := kube.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if err := kube.Client.Create(ctx, dep); err != nil {
		t.Fatal(err)
	}

	res = seal("version", "--client=false", "-n", "agents")
	lines := strings.Split(res.Stdout, "\n")
	if res.ExitCode != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "seal:       ") ||
		lines[1] != "seal-agent: v1.2.3 (image "+image+"; Deployment agents/seal-agent, 0/2 ready)" {
		t.Errorf("installed: exit %d, stdout:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout, res.Stderr)
	}

	res = seal("version", "--client=false", "-n", "agents", "-o", "json")
	var got struct {
		Client map[string]any `json:"client"`
		Agent  map[string]any `json:"agent"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("-o json: %v\n%s", err, res.Stdout)
	}
	wantAgent := map[string]any{"version": "v1.2.3", "image": image, "deployment": "agents/seal-agent", "replicas": 2.0, "readyReplicas": 0.0}
	if diff := cmp.Diff(wantAgent, got.Agent); diff != "" {
		t.Errorf("-o json agent (-want +got):\n%s", diff)
	}
	if got.Client["version"] == nil || got.Client["goVersion"] == nil {
		t.Errorf("-o json client: %v", got.Client)
	}

	// Without --client=false no cluster is needed: a kubeconfig that
	// points nowhere does not matter.
	res = run(ctx, t, harness.Command{Path: bin.Seal, Dir: dir, Args: []string{"version", "--kubeconfig", filepath.Join(dir, "missing")}})
	if res.ExitCode != 0 || !strings.HasPrefix(res.Stdout, "seal:       ") || strings.Contains(res.Stdout, "seal-agent") {
		t.Errorf("client only: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
}

// run runs a command and fails the test when it cannot be started.
func run(ctx context.Context, t *testing.T, c harness.Command) harness.Result {
	t.Helper()
	res, err := harness.Run(ctx, c)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Path, strings.Join(c.Args, " "), err)
	}
	return res
}
