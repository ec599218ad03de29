package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
)

// statusFixtures creates GitSyncs in every state seal status shows, in
// namespaces team-a (one Ready, one failing), team-b (never synced) and
// team-c (Ready).
func statusFixtures(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	for _, ns := range []string{"team-a", "team-b", "team-c", "empty"} {
		createNamespace(t, c, ns)
	}
	gitSync := func(ns, name, url string, ref v1alpha1.GitRef) *v1alpha1.GitSync {
		return &v1alpha1.GitSync{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       v1alpha1.GitSyncSpec{URL: url, Ref: ref, Path: "clusters/" + name},
		}
	}
	createGitSync(t, c, gitSync("team-a", "production", "ssh://git@git.example.com/acme/fleet.git", v1alpha1.GitRef{Branch: "production"}),
		func(gs *v1alpha1.GitSync) {
			gs.Status.ObservedGeneration = gs.Generation
			gs.Status.SetLastAppliedRevision("0123456789abcdef0123456789abcdef01234567")
			gs.Status.Conditions = []metav1.Condition{readyCondition(gs, metav1.ConditionTrue, v1alpha1.ReasonSucceeded,
				"Applied revision 0123456789ab (12 objects)")}
		})
	createGitSync(t, c, gitSync("team-a", "staging", "https://git.example.com/acme/fleet.git", v1alpha1.GitRef{Tag: "v1.2.0"}),
		func(gs *v1alpha1.GitSync) {
			gs.Status.ObservedGeneration = gs.Generation
			gs.Status.SetLastAppliedRevision("fedcba9876543210fedcba9876543210fedcba98")
			gs.Status.Conditions = []metav1.Condition{readyCondition(gs, metav1.ConditionFalse, v1alpha1.ReasonDecryptionFailed,
				"clusters/staging/db.yaml: no identity of the agent's key ring opens it:\nit is encrypted for age1abc…xyz only; "+
					"re-encrypt it with seal keys rotate after adding the agent's recipient to .sops.yaml")}
		})
	createGitSync(t, c, gitSync("team-b", "pinned", "git@git.example.com:acme/fleet.git",
		v1alpha1.GitRef{Commit: "89abcdef0123456789abcdef0123456789abcdef"}), nil)
	createGitSync(t, c, gitSync("team-c", "production", "https://git.example.com/acme/other.git", v1alpha1.GitRef{}),
		func(gs *v1alpha1.GitSync) {
			gs.Status.ObservedGeneration = gs.Generation
			gs.Status.SetLastAppliedRevision("00112233445566778899aabbccddeeff00112233")
			gs.Status.Conditions = []metav1.Condition{readyCondition(gs, metav1.ConditionTrue, v1alpha1.ReasonSucceeded,
				"Applied revision 001122334455 (3 objects)")}
		})
}

// TestStatus runs seal status against GitSyncs in a real API server whose
// status was written through the status subresource, as the agent writes it.
func TestStatus(t *testing.T) {
	c := startCluster(t, true)
	statusFixtures(t, c)
	host := strings.TrimSuffix(c.Config.Host, "/")
	kc := []string{"--kubeconfig", c.Kubeconfig}

	for _, tt := range []struct {
		name   string
		args   []string
		golden string // of stdout
		code   int
		stderr []string // all in stderr; none: stderr is empty
	}{
		{"every namespace by default", nil, "status-all.txt", ExitFailure, nil},
		{"-A", []string{"-A"}, "status-all.txt", ExitFailure, nil},
		{"one namespace", []string{"-n", "team-a"}, "status-namespace.txt", ExitFailure, nil},
		{"all Ready", []string{"-n", "team-c"}, "status-ready.txt", ExitOK, nil},
		{"a name in every namespace", []string{"production"}, "status-name.txt", ExitOK, nil},
		{"never synced", []string{"pinned"}, "status-never-synced.txt", ExitFailure, nil},
		{"json", []string{"-n", "team-a", "-o", "json"}, "status.json", ExitFailure, nil},
		{"yaml", []string{"-n", "team-a", "-o", "yaml"}, "status.yaml", ExitFailure, nil},
		{"one object as json", []string{"staging", "-n", "team-a", "-o", "json"}, "status-object.json", ExitFailure, nil},
		{"empty namespace", []string{"-n", "empty"}, "", ExitOK, []string{"no GitSyncs found in namespace empty\n"}},
		{"empty namespace as json", []string{"-n", "empty", "-o", "json"}, "status-empty.json", ExitOK, nil},
		{"unknown name", []string{"nope"}, "", ExitFailure, []string{
			"seal: error: GitSync \"nope\" not found in any namespace of the cluster at " + host,
			"seal: hint: seal status without a NAME lists every GitSync\n"}},
		{"-n with -A", []string{"-n", "team-a", "-A"}, "", ExitUsage, []string{
			"seal: error: -n/--namespace and -A/--all-namespaces cannot be combined\n"}},
		{"wide", []string{"-o", "wide"}, "status-wide.txt", ExitFailure, nil},
		{"no headers", []string{"-n", "team-a", "--no-headers"}, "status-no-headers.txt", ExitFailure, nil},
		{"name", []string{"-o", "name"}, "status-name-output.txt", ExitFailure, nil},
		{"jsonpath", []string{"-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.spec.path}{\"\\n\"}{end}"}, "status-jsonpath.txt", ExitFailure, nil},
		{"go-template of one object", []string{"production", "-n", "team-a", "-o", "go-template={{.spec.url}}"}, "status-go-template.txt", ExitOK, nil},
		{"bad output", []string{"-o", "table"}, "", ExitUsage, []string{
			"seal: error: --output \"table\": unknown format\n",
			"seal: hint: use wide, json, yaml, name, jsonpath=TEMPLATE"}},
		{"--no-headers with json", []string{"-o", "json", "--no-headers"}, "", ExitUsage, []string{
			"seal: error: --no-headers applies only to the table (no -o, or -o wide), not to -o json\n"}},
		{"two names", []string{"a", "b"}, "", ExitUsage, []string{
			"seal: error: seal status takes at most one NAME, got 2 arguments\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", append(append([]string{"status"}, tt.args...), kc...)...)
			if r.Code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			if len(tt.stderr) == 0 && r.Stderr != "" {
				t.Errorf("stderr %q, want none", r.Stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
			if tt.golden == "" {
				if r.Stdout != "" {
					t.Errorf("stdout %q, want none", r.Stdout)
				}
				return
			}
			golden(t, tt.golden, scrubObjectMeta(r.Stdout))
		})
	}
}

// TestStatusNotInstalled: a cluster without the GitSync CRD is told apart
// from an unreachable one in the message; both exit 2, since whether the
// GitSyncs are Ready is unknown.
func TestStatusNotInstalled(t *testing.T) {
	c := startCluster(t, false)
	r := runSeal(t, t.TempDir(), nil, "", "status", "--kubeconfig", c.Kubeconfig)
	host := strings.TrimSuffix(c.Config.Host, "/")
	want := []string{
		"seal: error: listing GitSyncs in any namespace: the cluster at " + host,
		"does not serve GitSync (seal.dev/v1alpha1): seal-agent is not installed\n",
		"seal: hint: install it with seal bootstrap, or use the --context of a cluster that runs it\n",
	}
	if r.Code != ExitUsage || r.Stdout != "" {
		t.Errorf("exit %d, want 2 (status unknown); stdout %q", r.Code, r.Stdout)
	}
	for _, w := range want {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
		}
	}
}

// TestStatusWatch: -w prints a line per visible change (and none for a
// change the table does not show) until its context is cancelled, and
// exits with the state last shown.
func TestStatusWatch(t *testing.T) {
	c := startCluster(t, true)
	createNamespace(t, c, "team-b")
	ctx := context.Background()
	pinned := createGitSync(t, c, &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "pinned"},
		Spec:       v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/fleet.git", Path: "clusters/b"},
	}, nil)

	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	f, _, _ := testFactory(t.TempDir(), nil, "")
	var out, errOut lockedBuffer
	f.IO.Out, f.IO.Err = &out, &errOut
	done := make(chan int)
	go func() {
		done <- run(watchCtx, f, []string{"status", "-w", "-n", "team-b", "--kubeconfig", c.Kubeconfig})
	}()
	waitLines := func(n int, what string) {
		t.Helper()
		waitFor(t, 30*time.Second, what, func() bool { return len(lines(out.String())) >= n })
	}
	waitLines(2, "the first listing")

	// A change the table does not show prints nothing...
	setGitSyncStatus(t, c, pinned, func(gs *v1alpha1.GitSync) {
		gs.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionTrue,
			Reason: v1alpha1.ReasonProgressing, Message: "", ObservedGeneration: gs.Generation, LastTransitionTime: statusTime}}
	})
	// ...the next one does.
	setGitSyncStatus(t, c, pinned, func(gs *v1alpha1.GitSync) {
		gs.Status.SetLastAppliedRevision("0123456789abcdef0123456789abcdef01234567")
		gs.Status.Conditions = []metav1.Condition{readyCondition(gs, metav1.ConditionTrue, v1alpha1.ReasonSucceeded, "Applied revision 0123456789ab (2 objects)")}
	})
	waitLines(3, "the line of the Ready GitSync")
	second := createGitSync(t, c, &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "second"},
		Spec:       v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/second.git", Ref: v1alpha1.GitRef{Branch: "dev"}},
	}, nil)
	waitLines(4, "the line of the new GitSync")
	if err := c.Client.Delete(ctx, second); err != nil {
		t.Fatal(err)
	}
	waitLines(5, "the line of the deleted GitSync")
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit code %d, want 0: every GitSync left is Ready; stderr:\n%s", code, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("seal status -w did not return after its context was cancelled")
	}
	golden(t, "status-watch.txt", out.String())
	if errOut.String() != "" {
		t.Errorf("stderr: %s", errOut.String())
	}
}

// TestStatusKubeFlags: completion reads GitSync names from the cluster the
// flags name, and cli-runtime's flags (--as, --server) reach the requests.
func TestStatusKubeFlags(t *testing.T) {
	c := startCluster(t, true)
	statusFixtures(t, c)
	kc := []string{"--kubeconfig", c.Kubeconfig}

	r := runSeal(t, t.TempDir(), nil, "", append([]string{"__complete", "status"}, append(kc, "")...)...)
	if diff := cmp.Diff(cliRun{Stdout: "production\nstaging\npinned\n:4\n"}, scrubCompletion(r)); diff != "" {
		t.Errorf("names in every namespace (-want +got):\n%s", diff)
	}
	r = runSeal(t, t.TempDir(), nil, "", append([]string{"__complete", "status", "-n", "team-a"}, append(kc, "st")...)...)
	if diff := cmp.Diff(cliRun{Stdout: "staging\n:4\n"}, scrubCompletion(r)); diff != "" {
		t.Errorf("names in team-a (-want +got):\n%s", diff)
	}

	r = runSeal(t, t.TempDir(), nil, "", append([]string{"status", "--as", "someone-else"}, kc...)...)
	if r.Code != ExitUsage || !strings.Contains(r.Stderr, `User "someone-else" cannot list resource "gitsyncs"`) {
		t.Errorf("--as: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	r = runSeal(t, t.TempDir(), nil, "", append([]string{"status", "--server", "https://127.0.0.1:1"}, kc...)...)
	if r.Code != ExitUsage || !strings.Contains(r.Stderr, "cannot reach the cluster at https://127.0.0.1:1") {
		t.Errorf("--server: exit %d, want 2; stderr:\n%s", r.Code, r.Stderr)
	}
	r = runSeal(t, t.TempDir(), nil, "", "status")
	if r.Code != ExitUsage || !strings.Contains(r.Stderr, "no Kubernetes configuration found") {
		t.Errorf("no kubeconfig: exit %d, want 2; stderr:\n%s", r.Code, r.Stderr)
	}
}

// scrubCompletion drops cobra's debug lines from a completion's stderr.
func scrubCompletion(r cliRun) cliRun {
	r.Stderr = ""
	return r
}
