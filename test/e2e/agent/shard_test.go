package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestShardsSplitGitSyncs runs two agents over one namespace, the default
// shard and shard blue, each electing its own leader: of twenty GitSyncs,
// the ten labelled seal.dev/shard=blue are synced only by the blue agent
// and the ten without the label only by the default one. A GitSync moved
// to blue is left by the default agent and synced by blue; one moved to a
// shard no agent runs and then deleted keeps its objects (the old shard
// does not run its finalizer) until it is moved back.
func TestShardsSplitGitSyncs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--leader-elect", "--log-level", "debug")
	blue := e.startReplica("data-blue", "--shard", "blue", "--leader-elect", "--log-level", "debug")

	files := map[string][]byte{}
	for i := range 20 {
		files[fmt.Sprintf("apps/gs%02d/config.yaml", i)] = configMap(fmt.Sprintf("cm-%02d", i), "v1")
	}
	sha := e.commit("twenty", files)
	inBlue := func(i int) bool { return i%2 == 0 }
	for i := range 20 {
		e.createGitSync(fmt.Sprintf("gs%02d", i), time.Hour, func(gs *v1alpha1.GitSync) {
			gs.Spec.Path = fmt.Sprintf("apps/gs%02d", i)
			if inBlue(i) {
				gs.Labels = map[string]string{v1alpha1.LabelShard: "blue"}
			}
		})
	}
	for i := range 20 {
		e.waitApplied(fmt.Sprintf("gs%02d", i), sha)
	}

	def, bl := touched(e.agent.Output()), touched(blue.Output())
	for i := range 20 {
		name := fmt.Sprintf("gs%02d", i)
		mine, other, shard := def, bl, "default"
		if inBlue(i) {
			mine, other, shard = bl, def, "blue"
		}
		if mine[name] == 0 || other[name] != 0 {
			t.Errorf("GitSync %s (shard %s): synced %d times by its shard's agent and %d times by the other; want > 0 and 0", name, shard, mine[name], other[name])
		}
		var cm corev1.ConfigMap
		if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: fmt.Sprintf("cm-%02d", i)}, &cm); err != nil {
			t.Fatal(err)
		}
		var managers []string
		for _, f := range cm.ManagedFields {
			managers = append(managers, f.Manager)
		}
		if diff := cmp.Diff([]string{"seal/" + e.ns + "/" + name}, managers); diff != "" {
			t.Errorf("ConfigMap %s field managers (-want +got):\n%s", cm.Name, diff)
		}
		if cm.Labels[v1alpha1.LabelGitSyncName] != name {
			t.Errorf("ConfigMap %s owner label %s = %q, want %s", cm.Name, v1alpha1.LabelGitSyncName, cm.Labels[v1alpha1.LabelGitSyncName], name)
		}
	}
	defHolder, blueHolder := e.leaseHolder("seal-agent.seal.dev"), e.leaseHolder("seal-agent-blue.seal.dev")
	if defHolder == "" || blueHolder == "" || defHolder == blueHolder {
		t.Errorf("Lease holders: default shard %q, blue %q; want one each, distinct", defHolder, blueHolder)
	}

	// Move gs01 to blue: the default agent lets it go, blue syncs it.
	e.setShard("gs01", "blue")
	time.Sleep(time.Second) // both informers see the move
	defBefore := len(e.agent.Output())
	sha2 := e.commit("gs01 v2", map[string][]byte{"apps/gs01/config.yaml": configMap("cm-01", "v2")})
	e.waitApplied("gs01", sha2)
	if n := touched(e.agent.Output()[defBefore:])["gs01"]; n != 0 {
		t.Errorf("the default agent synced gs01 %d times after it moved to shard blue", n)
	}
	if got := e.ownedConfigMaps("gs01"); got["cm-01"] != "v2" {
		t.Errorf("gs01's ConfigMaps after the move = %v, want cm-01 at v2", got)
	}

	// Move gs03 to a shard no agent runs, then delete it: the default agent
	// no longer sees it, so its finalizer waits and cm-03 stays.
	e.setShard("gs03", "green")
	time.Sleep(time.Second)
	e.deleteGitSync("gs03")
	time.Sleep(3 * time.Second)
	gs := e.get("gs03")
	if gs.DeletionTimestamp.IsZero() || !hasFinalizer(gs) {
		t.Errorf("GitSync gs03 in shard green: deletionTimestamp %v, finalizers %v; want deleting, held by the finalizer", gs.DeletionTimestamp, gs.Finalizers)
	}
	if !e.configMapExists("cm-03") {
		t.Error("cm-03 was deleted while its GitSync was in a shard no agent runs")
	}
	// Back in the default shard, the deletion completes there.
	e.setShard("gs03", "")
	e.waitGitSyncGone("gs03")
	if e.configMapExists("cm-03") {
		t.Error("cm-03 still exists after its GitSync, moved back to the default shard, was deleted")
	}
	if strings.Contains(blue.Output(), `"name":"gs03"`) {
		t.Error("the blue agent logged about gs03, which it never held")
	}
}

// setShard labels the GitSync with shard, or removes the label for "".
func (e *env) setShard(name, shard string) {
	e.t.Helper()
	value := "null"
	if shard != "" {
		value = fmt.Sprintf("%q", shard)
	}
	patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, v1alpha1.LabelShard, value)
	gs := e.get(name)
	if err := kube.Client.Patch(e.ctx, gs, client.RawPatch(types.MergePatchType, patch)); err != nil {
		e.t.Fatal(err)
	}
}
