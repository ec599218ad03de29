package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDemoTellsTheWholeStoryAndCleansUp(t *testing.T) {
	t.Parallel()
	r := runDemo(t, filepath.Dir(bins.Seal), nil)
	if r.exit != 0 {
		t.Fatalf("the demo exited with %d, want 0; output:\n%s\nstderr:\n%s", r.exit, r.stdout, r.stderr)
	}
	// Each step's evidence, in the order the demo prints it.
	evidence := []string{
		`(?m)^  1\. Check the built binaries`,
		`kube-apiserver and etcd at https://127\.0\.0\.1:\d+/, up in`,
		`Pods never run here, so seal-agent runs as a local process`,
		`repository: http://127\.0\.0\.1:\d+/environment\.git`,
		`\$ seal-agent --kubeconfig kubeconfig --namespace seal-system --agent-namespace seal-system`,
		`generated its age identity into Secret seal-system/seal-agent-key`,
		`ConfigMap seal-system/seal-agent-public-key: age1pq1`,
		`\$ seal keys fetch --kubeconfig \.\./kubeconfig --namespace seal-system --update-config '\^apps/'`,
		`- path_regex: \^apps/`,
		`apps/db-secret\.yaml +Secret db: username=app, password=demo-[0-9a-f]{12}`,
		`\$ seal encrypt -v -i apps/db-secret\.yaml`,
		`encrypted for 1 recipient \(\.sops\.yaml`,
		`password: ENC\[AES256_GCM,data:`,
		`BEGIN AGE ENCRYPTED FILE`,
		`the password appears nowhere in the file`,
		`commit [0-9a-f]{8} "Add the web app`,
		`the password appears nowhere in the repository's history`,
		`\$ kubectl --kubeconfig kubeconfig apply -f gitsync\.yaml`,
		`gitsync\.seal\.dev/environment created`,
		`Ready waits, Reconciling=True Progressing: .*Deployment\.apps demo/web`,
		`Deployment demo/web: 2/2 replicas available`,
		`synced revision [0-9a-f]{8} .*: 4 created`,
		`decrypted 1 file in memory with the agent's key sha256:[0-9a-f]{16}`,
		`db/password matches the value sealed in Git \(demo-[0-9a-f]{12}\)`,
		`db/username matches the value sealed in Git \(app\)`,
		`\$ seal status --kubeconfig \.\./kubeconfig --namespace seal-system`,
		`(?m)^\s+environment\s.*\bTrue\b`,
		`configmap/web-config patched`,
		`put back [\d.]+m?s after the edit: greeting=hello \(1 drift corrected`,
		`annotate gitsync environment seal\.dev/sync-requested=\d{4}-\d\d-\d\dT[\d:.]+Z --overwrite`,
		`Ready waits, Reconciling=True Progressing: .*Deployment\.apps demo/web`,
		`Deployment demo/web: 3/3 replicas available`,
		`synced revision [0-9a-f]{8}: 2 configured`,
		`Deployment demo/web: replicas=3; ConfigMap demo/web-config: greeting=hello again`,
		`deletes apps/web-service\.yaml`,
		`synced revision [0-9a-f]{8}: 1 pruned`,
		`Service demo/web: not found, pruned`,
		`\$ seal encrypt -i --release demo/greeter apps/greeter-values\.yaml`,
		`the API key appears nowhere in the repository's history`,
		`synced revision [0-9a-f]{8}: 2 created`,
		`status\.helmReleases: demo/greeter chart charts/greeter 0\.1\.0, 2 objects`,
		`greeter-api/apiKey matches the value sealed in Git \(demo-key-[0-9a-f]{12}\)`,
		`(?m)^\s+environment\s.*\bTrue\b`,
		`(?m)^ 17\. Clean up`,
		`stopped seal-agent: SIGTERM, it exited cleanly`,
		`its log \(\d+ lines\) never mentions the password or the API key`,
		`stopped the git server`,
		`stopped kube-apiserver and etcd`,
		`removed /`,
		`Seal demo complete in [\d.]+s`,
	}
	rest := r.stdout
	for _, e := range evidence {
		loc := regexp.MustCompile(e).FindStringIndex(rest)
		if loc == nil {
			t.Fatalf("the demo's output lacks %q (after the evidence before it); output:\n%s", e, r.stdout)
		}
		rest = rest[loc[1]:]
	}
	// The password written in step 6 is the one the cluster holds.
	written := regexp.MustCompile(`password=(demo-[0-9a-f]{12})`).FindStringSubmatch(r.stdout)
	matched := regexp.MustCompile(`db/password matches the value sealed in Git \((demo-[0-9a-f]{12})\)`).FindStringSubmatch(r.stdout)
	if written[1] != matched[1] {
		t.Errorf("the demo wrote password %s but reported %s in the cluster", written[1], matched[1])
	}
	// The first sync applied the commit the demo made.
	commit := regexp.MustCompile(`commit ([0-9a-f]{8}) "Add the web app`).FindStringSubmatch(r.stdout)
	if !strings.Contains(r.stdout, "synced revision "+commit[1]+" ") {
		t.Errorf("the first sync does not name commit %s; output:\n%s", commit[1], r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("the demo wrote to stderr on success:\n%s", r.stderr)
	}
	checkCleanedUp(t, r)
}

func TestDemoNamesTheStepThatFailed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		binDir  func(t *testing.T) string
		step    string
		stdout  []string // evidence of why, and of the cleanup
		notSeen string   // a step that must not have started
	}{
		{
			name:   "agent cannot start",
			binDir: brokenBinDir,
			step:   "step 4 (Start seal-agent as a local process)",
			stdout: []string{
				"FAILED at step 4 (Start seal-agent as a local process)",
				"seal-agent exited (exit status 1) while the demo waited for seal-agent to publish its public key",
				"the last lines of seal-agent's log:",
				"this agent refuses to start (demo test)",
				"seal-agent had already exited (exit status 1)",
				"stopped the git server",
				"stopped kube-apiserver and etcd",
			},
			notSeen: "5. Fetch the agent's public key",
		},
		{
			name:    "no binaries",
			binDir:  func(t *testing.T) string { return t.TempDir() },
			step:    "step 1 (Check the built binaries and make a scratch directory)",
			stdout:  []string{"seal: no such file or directory (run `make build`"},
			notSeen: "2. Start a local Kubernetes control plane",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runDemo(t, tt.binDir(t), nil)
			if r.exit != 1 {
				t.Errorf("exit code %d, want 1", r.exit)
			}
			if want := "Seal demo FAILED at " + tt.step; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, tt.notSeen) {
				t.Errorf("the demo went on to %q after the failure:\n%s", tt.notSeen, r.stdout)
			}
			if strings.Contains(r.stdout, "Seal demo complete") {
				t.Errorf("a failed demo printed the success line:\n%s", r.stdout)
			}
			checkCleanedUp(t, r)
		})
	}
}

func TestDemoCleansUpOnInterrupt(t *testing.T) {
	t.Parallel()
	// Interrupt while seal-agent runs and the first sync is awaited.
	r := runDemo(t, filepath.Dir(bins.Seal), func(stdout string) bool {
		return strings.Contains(stdout, "9. Point seal-agent at the repository")
	})
	if r.exit != 130 {
		t.Errorf("exit code %d after SIGINT, want 130; output:\n%s\nstderr:\n%s", r.exit, r.stdout, r.stderr)
	}
	for _, want := range []string{"Interrupted during step", "stopped seal-agent", "stopped the git server", "stopped kube-apiserver and etcd", "removed /"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "Seal demo interrupted at step") {
		t.Errorf("stderr lacks the interrupted line:\n%s", r.stderr)
	}
	checkCleanedUp(t, r)
}
