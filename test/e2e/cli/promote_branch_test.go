package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

const branchSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: staging
type: Opaque
stringData:
  password: ` + auditSecretValue + `
`

const branchDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: staging # the environment's namespace
spec:
  replicas: 2
`

const branchShared = `apiVersion: v1
kind: ConfigMap
metadata:
  name: shared
  namespace: shared
data:
  namespace: staging
`

// TestPromoteBetweenBranchesWithNamespaceMap: seal promote reads the
// staging branch with the real git CLI into the checked-out prod branch,
// whose own .sops.yaml names the prod key. With --namespace-map
// staging=prod the sealed Secret is re-bound to namespace prod: the real
// sops CLI opens it with the prod key (not the staging one) to the same
// password, in namespace prod, sealed for Secret/prod/db; a plain manifest
// changes in its namespace bytes only; an unmapped namespace and a file
// only prod has stay untouched; no plaintext reaches the disk; a second
// run changes nothing; a branch that does not exist is named.
func TestPromoteBetweenBranchesWithNamespaceMap(t *testing.T) {
	e := newAuditEnv(t)
	stagingFile, stagingR := e.key(keys.Hybrid)
	prodFile, prodR := e.key(keys.X25519)
	teamFile, teamR := e.key(keys.X25519)
	rule := func(rs ...string) string {
		return "creation_rules:\n  - path_regex: ^clusters/app/\n    age: " + strings.Join(rs, ",") + "\n"
	}
	e.must("git", nil, "init", "-q", "-b", "staging")
	e.must("git", nil, "config", "user.email", "e2e@example.com")
	e.must("git", nil, "config", "user.name", "E2E")
	e.write(".sops.yaml", rule(stagingR, teamR))
	e.write("clusters/app/db.yaml", branchSecret)
	e.must(bin.Seal, nil, "encrypt", "-i", "clusters/app/db.yaml")
	e.write("clusters/app/deployment.yaml", branchDeployment)
	e.write("clusters/app/shared.yaml", branchShared)
	e.write("clusters/app/kustomization.yaml", "namespace: staging\nresources: [db.yaml, deployment.yaml, shared.yaml]\n")
	e.must("git", nil, "add", ".")
	e.must("git", nil, "commit", "-q", "-m", "staging")
	stagedDB := e.read("clusters/app/db.yaml")

	e.must("git", nil, "switch", "-q", "--orphan", "prod")
	e.write(".sops.yaml", rule(prodR, teamR))
	e.write("clusters/app/prod-only.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: only\n  namespace: staging\n")
	e.must("git", nil, "add", ".sops.yaml", "clusters/app/prod-only.yaml")
	e.must("git", nil, "commit", "-q", "-m", "prod")
	if got := strings.TrimSpace(e.must("git", nil, "ls-files").Stdout); got != ".sops.yaml\nclusters/app/prod-only.yaml" {
		t.Fatalf("prod branch files:\n%s", got)
	}
	prodOnly := e.read("clusters/app/prod-only.yaml")

	res := e.run(bin.Seal, nil, "promote", "--identity", teamFile, "nope:clusters/app", "clusters/app")
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, `SRC nope:clusters/app: no branch, tag or commit "nope"`) {
		t.Errorf("promote from a missing branch: exit %d\n%s", res.ExitCode, res.Stderr)
	}

	res = e.must(bin.Seal, nil, "promote", "--identity", teamFile, "--namespace-map", "staging=prod", "staging:clusters/app", "clusters/app")
	want := "reencrypted clusters/app/db.yaml\n" +
		"copied      clusters/app/deployment.yaml\n" +
		"copied      clusters/app/kustomization.yaml\n" +
		"copied      clusters/app/shared.yaml\n" +
		"promoted staging:clusters/app to clusters/app: 1 re-encrypted, 3 copied, 0 unchanged, 0 failed\n"
	if res.Stdout != want {
		t.Errorf("promote: stdout\n%s\nwant\n%s", res.Stdout, want)
	}

	withProd := []string{"SOPS_AGE_KEY_FILE=" + prodFile}
	promoted := e.run(e.sops, withProd, "decrypt", "clusters/app/db.yaml")
	if promoted.ExitCode != 0 {
		t.Fatalf("sops decrypt with the prod key: exit %d\n%s", promoted.ExitCode, promoted.Stderr)
	}
	for _, wantLine := range []string{"  namespace: prod\n", "    seal.dev/sealed-for: Secret/prod/db\n", "  password: " + auditSecretValue + "\n"} {
		if !strings.Contains(promoted.Stdout, wantLine) {
			t.Errorf("sops decrypt of the promoted Secret lacks %q", wantLine)
		}
	}
	if res := e.run(e.sops, []string{"SOPS_AGE_KEY_FILE=" + stagingFile}, "decrypt", "clusters/app/db.yaml"); res.ExitCode == 0 {
		t.Error("the staging key opens the promoted Secret")
	}
	if got := e.read("clusters/app/deployment.yaml"); got != strings.Replace(branchDeployment, "namespace: staging", "namespace: prod", 1) {
		t.Errorf("promoted deployment.yaml:\n%s", got)
	}
	if got := e.read("clusters/app/kustomization.yaml"); got != "namespace: prod\nresources: [db.yaml, deployment.yaml, shared.yaml]\n" {
		t.Errorf("promoted kustomization.yaml:\n%s", got)
	}
	if got := e.read("clusters/app/shared.yaml"); got != branchShared {
		t.Errorf("shared.yaml (namespace shared, not mapped) changed:\n%s", got)
	}
	if e.read("clusters/app/prod-only.yaml") != prodOnly {
		t.Error("a file only the target has was changed")
	}
	noPlaintextOnDisk(t, e.dir)
	if res := e.run(bin.Seal, nil, "check"); res.ExitCode != 0 {
		t.Errorf("seal check after promote: exit %d\n%s", res.ExitCode, res.Stdout)
	}
	if got := e.must("git", nil, "show", "staging:clusters/app/db.yaml").Stdout; got != stagedDB {
		t.Error("promote changed the staging branch")
	}

	before := snapshot(t, filepath.Join(e.dir, "clusters/app"))
	res = e.must(bin.Seal, nil, "promote", "--identity", teamFile, "--namespace-map", "staging=prod", "staging:clusters/app", "clusters/app")
	if !strings.HasSuffix(res.Stdout, "0 re-encrypted, 0 copied, 4 unchanged, 0 failed\n") {
		t.Errorf("second promote:\n%s", res.Stdout)
	}
	if after := snapshot(t, filepath.Join(e.dir, "clusters/app")); !equalSnapshots(before, after) {
		t.Error("the second promote rewrote files")
	}
}
