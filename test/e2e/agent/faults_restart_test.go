package agent_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
)

// restartOutage is how long a restarted process stays down, from the
// moment it has stopped to the moment it is started again.
const restartOutage = 5 * time.Second

// TestFaultRestartedMidApply really restarts kube-apiserver, or etcd, of
// a cluster of the test's own (the package's shared one is left alone) in
// the middle of the agent applying a change, keeping it down
// restartOutage. Nothing still in Git is pruned meanwhile; once it is
// back the agent finishes the sync, and the cluster and the inventory hold
// exactly the new revision. When the agent's sync failed, the GitSync
// showed Ready=False with the reason of the stage the outage caught and a
// message naming the cause.
func TestFaultRestartedMidApply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		stop, start func(*cluster.Cluster) error
		// causes are what a failed sync's message may name, one of them.
		causes []string
	}{
		{"kube-apiserver", (*cluster.Cluster).StopAPIServer, (*cluster.Cluster).StartAPIServer,
			[]string{"connection refused", "Too many requests"}},
		{"etcd", (*cluster.Cluster).StopEtcd, (*cluster.Cluster).StartEtcd,
			[]string{"etcdserver", "timeout", "timed out", "unable to return a response"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := cluster.Start(clusterOptions())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { // after the env's cleanups (cleanups run last first)
				if err := c.Stop(); err != nil {
					t.Error(err)
				}
			})
			e := newEnvOn(t, c, slowClient...)
			b := startBigChange(e)
			w := &outageWatch{e: e}

			stopping := time.Now()
			if err := tc.stop(c); err != nil {
				t.Fatal(err)
			}
			down := time.Now()
			for time.Since(down) < restartOutage {
				w.look()
				time.Sleep(500 * time.Millisecond)
			}
			if err := tc.start(c); err != nil {
				t.Fatal(err)
			}
			up := time.Now()
			t.Logf("%s took %s to stop, was down %s, took %s to start again",
				tc.name, down.Sub(stopping).Round(100*time.Millisecond), restartOutage, up.Sub(down.Add(restartOutage)).Round(100*time.Millisecond))

			// A sync that could not reach the apiserver is tried again
			// with the workqueue's backoff while its status cannot be
			// written, else after 10 s; then it applies at 15 requests a
			// second.
			e.eventually(150*time.Second, "the second revision applied after the restart", func() (bool, error) {
				w.look()
				return w.applied(b.second), nil
			})
			t.Logf("the sync finished %s after %s was ready again (%s after it was stopped)",
				time.Since(up).Round(100*time.Millisecond), tc.name, time.Since(stopping).Round(100*time.Millisecond))
			b.check()
			w.checkFailures(tc.causes)
			e.checkNoPlaintextOnDisk(e.dir + "/data")
		})
	}
}

// outageWatch looks at the cluster while a process of it restarts,
// ignoring the requests that fail meanwhile: it checks that no ConfigMap
// in both revisions of a bigChange goes missing, and collects the Ready
// conditions the GitSync shows on the way.
type outageWatch struct {
	e     *env
	ready []metav1.Condition // distinct by status, reason and message
	last  *v1alpha1.GitSync
}

func (w *outageWatch) look() {
	e := w.e
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
	defer cancel()
	var list corev1.ConfigMapList
	if err := e.kube.Client.List(ctx, &list, client.InNamespace(e.ns),
		client.MatchingLabels{v1alpha1.LabelGitSyncName: "apps", v1alpha1.LabelGitSyncNamespace: e.ns}); err == nil {
		have := map[string]bool{}
		for _, cm := range list.Items {
			have[cm.Name] = true
		}
		for i := 15; i < bigObjects; i++ { // in both revisions
			if name := fmt.Sprintf("cm-%03d", i); !have[name] {
				e.t.Fatalf("around the restart ConfigMap %s, still in Git, is gone", name)
			}
		}
	}
	var gs v1alpha1.GitSync
	if err := e.kube.Client.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: "apps"}, &gs); err != nil {
		return
	}
	w.last = &gs
	ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	if ready == nil {
		return
	}
	for _, seen := range w.ready {
		if seen.Status == ready.Status && seen.Reason == ready.Reason && seen.Message == ready.Message {
			return
		}
	}
	w.ready = append(w.ready, *ready)
}

// applied reports whether the GitSync was last seen Ready at revision sha.
func (w *outageWatch) applied(sha string) bool {
	if w.last == nil {
		return false
	}
	ready := meta.FindStatusCondition(w.last.Status.Conditions, v1alpha1.ConditionReady)
	return ready != nil && ready.Status == metav1.ConditionTrue && w.last.Status.LastAppliedRevision == sha &&
		ready.ObservedGeneration == w.last.Generation
}

// outageReasons are the reasons of the stages that talk to the apiserver:
// a sync that the outage caught fails at whichever of them it had reached.
// The first is the usual one (the outage starts mid-apply); a retry may
// fail earlier, reading the git credentials (GitFetchFailed).
var outageReasons = []string{
	v1alpha1.ReasonApplyFailed, v1alpha1.ReasonGitFetchFailed, v1alpha1.ReasonDecryptionFailed,
	v1alpha1.ReasonPruneFailed, v1alpha1.ReasonHealthCheckFailed,
}

// checkFailures logs the Ready conditions seen and checks that each
// failure among them has the reason of a stage that talks to the
// apiserver and a message naming one of causes. A failed sync in the
// agent's log need not show: while the apiserver is down its status
// cannot be written, and the retry that follows it back may succeed
// first.
func (w *outageWatch) checkFailures(causes []string) {
	e := w.e
	e.t.Helper()
	failures := 0
	for _, c := range w.ready {
		e.t.Logf("Ready=%s %s: %.300s", c.Status, c.Reason, c.Message)
		if c.Status != metav1.ConditionFalse {
			continue
		}
		failures++
		if !slices.Contains(outageReasons, c.Reason) {
			e.t.Errorf("Ready=False with reason %s during the restart; want one of %q", c.Reason, outageReasons)
		}
		if !slices.ContainsFunc(causes, func(cause string) bool { return strings.Contains(c.Message, cause) }) {
			e.t.Errorf("Ready=False %s with message %.300q, which names none of %q", c.Reason, c.Message, causes)
		}
	}
	logged := strings.Count(e.agent.Output(), `"msg":"sync failed"`)
	e.t.Logf("the agent logged %d failed sync(s); the GitSync showed %d distinct Ready=False condition(s)", logged, failures)
}
