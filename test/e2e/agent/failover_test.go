package agent_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// The agent that is killed applies through a slow client (15 requests a
// second), so a change of bigObjects objects takes it about twenty seconds
// and the kill lands mid-apply.
const bigObjects = 150

// slowClient lets a burst of bigObjects requests through, then 15 a
// second. The burst only speeds up the first revision (about 330 requests
// with the agent's start, 12 s instead of 22 s); it cannot shorten the
// second revision's writes, where the faults land: a sync sends a dry run
// of every object (165, more than the burst) before it writes any, so
// even with a full bucket the writes after the tenth go out at 15 a
// second, about ten seconds of them, as they did without the burst.
var slowClient = []string{"--kube-api-qps", "15", "--kube-api-burst", fmt.Sprint(bigObjects)}

// bigChange is a sync of a repository of bigObjects ConfigMaps and a sealed
// Secret, and a second revision that changes every value, removes 15
// ConfigMaps and adds 15.
type bigChange struct {
	e              *env
	first, second  string // commit SHAs
	wantConfigMaps map[string]string
	password2      string
}

// startBigChange commits the first revision, creates GitSync apps and
// waits for it to be applied, then commits the second revision (asking
// for a sync) and returns once at least 10 of its ConfigMaps were written,
// before the sync ends.
func startBigChange(e *env) *bigChange {
	e.t.Helper()
	const password1, password2 = "big-pw-one-5c1e7a", "big-pw-two-93b0d4"
	files := bigRepo("apps", bigObjects, "v1")
	files["apps/db.yaml"] = e.seal(secretManifest("db", password1), password1)
	b := &bigChange{e: e, password2: password2}
	b.first = e.commit("first", files)
	e.createGitSync("apps", time.Hour, nil)
	e.waitApplied("apps", b.first)

	files = bigRepo("apps", bigObjects+15, "v2")
	b.wantConfigMaps = map[string]string{}
	for i := range bigObjects + 15 {
		name := fmt.Sprintf("cm-%03d", i)
		if i < 15 {
			files["apps/"+name+".yaml"] = nil
			continue
		}
		b.wantConfigMaps[name] = "v2"
	}
	files["apps/db.yaml"] = e.seal(secretManifest("db", password2), password2)
	b.second = e.commit("second", files)
	e.eventually(60*time.Second, "10 ConfigMaps of the second revision applied", func() (bool, error) {
		n := 0
		for _, v := range e.ownedConfigMaps("apps") {
			if v == "v2" {
				n++
			}
		}
		return n >= 10, nil
	})
	if got := e.get("apps").Status.LastAppliedRevision; got == b.second {
		e.t.Fatalf("the second revision was applied in full before the kill; the test needs a slower sync")
	}
	return b
}

// check waits for the second revision to be applied and checks that the
// cluster holds exactly it: every ConfigMap in Git at v2, the removed ones
// pruned, the Secret's new value, and an inventory of just those objects.
func (b *bigChange) check() {
	e := b.e
	e.t.Helper()
	gs := e.waitApplied("apps", b.second)
	if diff := cmp.Diff(b.wantConfigMaps, e.ownedConfigMaps("apps")); diff != "" {
		e.t.Errorf("ConfigMaps of GitSync apps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"password": b.password2}, e.secretData("db")); diff != "" {
		e.t.Errorf("Secret db (-want +got):\n%s", diff)
	}
	var inventory []string
	for _, entry := range gs.Status.AppliedObjects {
		ref, err := v1alpha1.ParseObjectRef(entry)
		if err != nil {
			e.t.Fatal(err)
		}
		inventory = append(inventory, ref.Kind+"/"+ref.Name)
	}
	want := []string{"Secret/db"}
	for name := range b.wantConfigMaps {
		want = append(want, "ConfigMap/"+name)
	}
	slices.Sort(inventory)
	slices.Sort(want)
	if diff := cmp.Diff(want, inventory); diff != "" {
		e.t.Errorf("inventory (-want +got):\n%s", diff)
	}
}

// TestLeaderFailoverMidSync runs two replicas of the default shard with
// leader election; the leader is SIGKILLed in the middle of applying a
// change. The other replica takes the Lease within 30 seconds and finishes
// the sync: the cluster and the inventory hold exactly the new revision.
// Neither replica's log nor data directory holds a plaintext value.
func TestLeaderFailoverMidSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, append([]string{"--leader-elect"}, slowClient...)...)
	leader := e.agent
	e.eventually(30*time.Second, "the first replica to lead", func() (bool, error) {
		return e.leaseHolder("seal-agent.seal.dev") != "", nil
	})
	oldHolder := e.leaseHolder("seal-agent.seal.dev")
	standby := e.startReplica("data-standby", "--leader-elect")

	b := startBigChange(e)
	leader.Kill()
	killed := time.Now()
	e.agent = standby // the env now watches and stops the standby
	e.checkNoLeaksIn("the killed leader", leader.Output())
	e.checkNoPlaintextOnDisk(e.dir + "/data")

	e.eventually(40*time.Second, "the standby to take the Lease", func() (bool, error) {
		h := e.leaseHolder("seal-agent.seal.dev")
		return h != "" && h != oldHolder, nil
	})
	took := time.Since(killed)
	t.Logf("the standby took the Lease %s after the leader was killed", took.Round(100*time.Millisecond))
	if took > 30*time.Second {
		t.Errorf("failover took %s, want at most 30s", took)
	}
	b.check()
	t.Logf("the standby finished the sync %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	e.checkNoPlaintextOnDisk(e.dir + "/data-standby")
}

// TestAgentKilledMidApplyAndRestarted SIGKILLs the only agent in the
// middle of applying a change and starts it again on the same data
// directory: it finishes the sync, with the cluster and the inventory
// holding exactly the new revision, and no plaintext on disk.
func TestAgentKilledMidApplyAndRestarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, slowClient...)
	b := startBigChange(e)
	first := e.agent
	first.Kill()
	e.checkNoLeaksIn("the killed agent", first.Output())
	e.checkNoPlaintextOnDisk(e.dir + "/data")

	e.agent = e.startReplica("data")
	b.check()
	e.checkNoPlaintextOnDisk(e.dir + "/data")
}

// TestNewLeaderSendsNoWrites: when the leader is SIGKILLed after a sync
// finished, the replica that takes over resumes from the GitSync's status
// (status.appliedDigest): its first sync, with nothing changed in Git or
// in the cluster, sends no write besides leader election's own.
func TestNewLeaderSendsNoWrites(t *testing.T) {
	t.Parallel()
	proxy, err := harness.NewCountingProxy(kube.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close) // after the agents stop (cleanups run last first)
	kubeconfig, err := proxy.Kubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "--leader-elect")
	leader := e.agent
	e.eventually(30*time.Second, "the first replica to lead", func() (bool, error) {
		return e.leaseHolder("seal-agent.seal.dev") != "", nil
	})
	standby := e.startReplica("data-standby", "--leader-elect", "--kubeconfig", kubeconfig, "--log-level", "debug")
	const password = "resume-pw-41d7c2"
	sha := e.commit("app", map[string][]byte{
		"apps/web.yaml":    []byte(deployment),
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/db.yaml":     e.seal(secretManifest("db", password), password),
	})
	e.createGitSync("apps", time.Hour, nil)
	if gs := e.waitApplied("apps", sha); gs.Status.AppliedDigest == "" {
		t.Fatal("status.appliedDigest is empty after a successful sync")
	}
	time.Sleep(time.Second) // let the sync's event reach the API server

	proxy.Reset()
	leader.Kill()
	e.agent = standby
	e.checkNoLeaksIn("the killed leader", leader.Output())
	e.eventually(40*time.Second, "the new leader's first sync", func() (bool, error) {
		return strings.Contains(standby.Output(), `"msg":"synced"`), nil
	})
	time.Sleep(time.Second) // a late status patch or event would show now
	var writes []string
	for _, w := range proxy.WriteRequests() {
		if !strings.Contains(w, "/apis/coordination.k8s.io/") && !isLeaderElectionEvent(w) {
			writes = append(writes, w)
		}
	}
	if len(writes) != 0 {
		t.Errorf("the new leader's first sync sent %d writes besides leader election's, want 0:\n%s", len(writes), strings.Join(writes, "\n"))
	}
	if !strings.Contains(standby.Output(), "resumed from the last sync") {
		t.Errorf("the new leader did not log that it resumed; output:\n%s", tail(standby.Output()))
	}
}

// isLeaderElectionEvent reports whether the write w is leader election's
// core/v1 Event announcing the new leader (the agent's own events are
// events.k8s.io/v1).
func isLeaderElectionEvent(w string) bool {
	return strings.HasPrefix(w, "POST /api/v1/namespaces/") && strings.HasSuffix(w, "/events")
}
