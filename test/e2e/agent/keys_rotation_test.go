package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// keyRotationFiles is how many sealed Secrets the rotation story syncs.
const keyRotationFiles = 20

func rotationSecret(ns string, i int) (manifest, value string) {
	value = fmt.Sprintf("rotation-pw-%03d-7d1e", i)
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s%03d\n  namespace: %s\ntype: Opaque\nstringData:\n  password: %s\n", i, ns, value), value
}

// TestKeyRotationInCluster drives the built agent and seal: sealed
// Secrets synced; seal keys rotate --cluster makes the running agent
// generate and publish a new key; a file sealed for the new key only syncs
// beside the old ones with no restart and no failed sync; retiring the old
// key is refused while the applied revision needs it; the key Secret
// deleted while the agent runs is restored with the same identities and a
// Warning event, and the next sync succeeds; once every file is re-sealed
// for the new key, retiring the old one is accepted, the agent publishes
// the new key alone, and a later sync succeeds.
//
// Not parallel: seal keys retire reads every GitSync of the cluster, and
// refuses while one never applied a revision, as another test's may not
// have yet.
func TestKeyRotationInCluster(t *testing.T) {
	e := newEnv(t)
	e.createGitSync("apps", time.Hour, nil)
	files := map[string][]byte{}
	for i := range keyRotationFiles {
		m, v := rotationSecret(e.ns, i)
		files[fmt.Sprintf("s%03d.yaml", i)] = e.seal(m, v)
	}
	e.waitApplied("apps", e.commit("sealed Secrets", files))
	oldR := e.recipient
	agentOut := len(e.agent.Output())
	seal := func(stdin string, args ...string) harness.Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(e.ctx, 2*time.Minute)
		defer cancel()
		res, err := harness.Run(ctx, harness.Command{Path: bin.Seal, Args: args, Dir: e.dir, Stdin: stdin,
			Env: []string{"KUBECONFIG=" + kube.Kubeconfig}})
		if err != nil {
			t.Fatalf("seal %s: %v", strings.Join(args, " "), err)
		}
		return res
	}

	res := seal("", "keys", "rotate", "--cluster", "-n", e.ns, "--timeout", "60s")
	if res.ExitCode != 0 {
		t.Fatalf("seal keys rotate --cluster: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	newR := e.waitRecipient()
	if newR == oldR || !strings.Contains(res.Stdout, "active    "+keys.Fingerprint(newR)) ||
		!strings.Contains(res.Stdout, "retiring  "+keys.Fingerprint(oldR)) {
		t.Fatalf("after rotate --cluster the active recipient is %s (was %s); output:\n%s", keys.Short(newR), keys.Short(oldR), res.Stdout)
	}
	if strings.Contains(e.agent.Output()[agentOut:], "\"msg\":\"starting\"") {
		t.Error("the agent restarted")
	}

	// A file sealed for the new key only: both keys now open the revision.
	e.recipient = newR
	m, v := rotationSecret(e.ns, keyRotationFiles)
	gs := e.waitApplied("apps", e.commit("one for the new key", map[string][]byte{"new.yaml": e.seal(m, v)}))
	if e.secretData(fmt.Sprintf("s%03d", keyRotationFiles))["password"] != v {
		t.Error("the Secret sealed for the new key was not applied")
	}
	used := map[string]int32{}
	for _, k := range gs.Status.DecryptionKeys {
		used[k.Fingerprint] = k.Files
	}
	if used[keys.Fingerprint(oldR)] != keyRotationFiles || used[keys.Fingerprint(newR)] != 1 {
		t.Errorf("status.decryptionKeys = %v; want %d files for the old key and 1 for the new", gs.Status.DecryptionKeys, keyRotationFiles)
	}

	// Retiring the old key is refused: the applied revision needs it.
	var before corev1.Secret
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.DefaultSecretName}, &before); err != nil {
		t.Fatal(err)
	}
	res = seal("", "keys", "retire", oldR, "--secret", e.ns+"/"+keyring.DefaultSecretName, "--yes")
	if res.ExitCode != 1 || !strings.Contains(res.Stderr, e.ns+"/apps ("+fmt.Sprint(keyRotationFiles)+" files") {
		t.Errorf("retire of a key in use: exit %d\n%s", res.ExitCode, res.Stderr)
	}

	// The key Secret deleted while the agent runs: restored, nothing lost.
	if err := kube.Client.Delete(e.ctx, &before); err != nil {
		t.Fatal(err)
	}
	m2, v2 := rotationSecret(e.ns, keyRotationFiles+1)
	e.waitApplied("apps", e.commit("after the key Secret was deleted", map[string][]byte{"later.yaml": e.seal(m2, v2)}))
	var after corev1.Secret
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.DefaultSecretName}, &after); err != nil {
		t.Fatalf("the key Secret was not restored: %v", err)
	}
	if len(after.Data) != len(before.Data) {
		t.Errorf("restored key Secret has %d data keys, want %d", len(after.Data), len(before.Data))
	}
	for k, v := range before.Data {
		if string(after.Data[k]) != string(v) {
			t.Errorf("restored key Secret: data key %s differs: a key was lost or replaced", k)
		}
	}
	if got := e.waitRecipient(); got != newR {
		t.Errorf("active recipient after the restore is %s, want %s", keys.Short(got), keys.Short(newR))
	}
	e.eventually(30*time.Second, "a KeySecretRestored Warning event", func() (bool, error) {
		var evs eventsv1.EventList
		if err := kube.Client.List(e.ctx, &evs, client.InNamespace(e.ns)); err != nil {
			return false, err
		}
		for _, ev := range evs.Items {
			if ev.Reason == "KeySecretRestored" && ev.Type == corev1.EventTypeWarning && ev.Regarding.Name == keyring.DefaultSecretName {
				return true, nil
			}
		}
		return false, nil
	})
	if !strings.Contains(e.agent.Output(), "the agent key Secret was deleted; restored it") {
		t.Error("the agent's log does not say the key Secret was restored")
	}

	// The files for the old key replaced by files for the new one: retire
	// is accepted, and a sync afterwards still succeeds with the new key.
	replaced := map[string][]byte{}
	for i := range keyRotationFiles {
		m, v := rotationSecret(e.ns, i)
		replaced[fmt.Sprintf("s%03d.yaml", i)] = e.seal(m, v)
	}
	gs = e.waitApplied("apps", e.commit("re-sealed for the new key", replaced))
	if len(gs.Status.DecryptionKeys) != 1 || gs.Status.DecryptionKeys[0].Fingerprint != keys.Fingerprint(newR) {
		t.Fatalf("status.decryptionKeys after re-sealing = %v, want the new key only", gs.Status.DecryptionKeys)
	}
	res = seal("", "keys", "retire", keys.Fingerprint(oldR), "--secret", e.ns+"/"+keyring.DefaultSecretName, "--yes")
	if res.ExitCode != 0 {
		t.Fatalf("retire once unused: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	e.eventually(30*time.Second, "the agent publishes the new key alone", func() (bool, error) {
		var cm corev1.ConfigMap
		if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.PublicKeyConfigMap}, &cm); err != nil {
			return false, err
		}
		return cm.Data[keyring.RecipientsKey] == newR+"\n", nil
	})
	m3, v3 := rotationSecret(e.ns, keyRotationFiles+2)
	e.waitApplied("apps", e.commit("after the old key was retired", map[string][]byte{"last.yaml": e.seal(m3, v3)}))
	if e.secretData(fmt.Sprintf("s%03d", keyRotationFiles+2))["password"] != v3 {
		t.Error("a Secret committed after the retirement was not applied")
	}
}
