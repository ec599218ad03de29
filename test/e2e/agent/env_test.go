package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// env is one test's world: a namespace, an agent watching only it, and a
// repository.
type env struct {
	t   *testing.T
	ctx context.Context
	// kube is the cluster the env's namespace and agent are on: the
	// package's shared one, or a test's own (newEnvOn).
	kube *cluster.Cluster
	ns   string
	// namespaces are every namespace the test made: ns first, then those
	// of e.namespace. The test's GitSyncs live in them and nowhere else.
	namespaces []string
	dir        string
	agent      *harness.Process
	repo       *gitserver.Repo
	recipient  string
	// secrets are plaintext values the test put in Git; none may show up
	// in the agent's logs, events or status.
	secrets []string
	// afterStop are checks run once the agent has stopped, before the
	// test's GitSyncs are deleted.
	afterStop []func()
	// agentEnv is added to the agent's environment by startAgent.
	agentEnv []string
	// agentWrap, when set, is a command startAgent runs with the agent's
	// path and arguments appended (it must exec them in place).
	agentWrap []string
}

var repoCount atomic.Int64

// newEnv starts an agent for a fresh namespace of the shared cluster and
// waits for its key.
func newEnv(t *testing.T, agentArgs ...string) *env {
	t.Helper()
	return newEnvOn(t, kube, agentArgs...)
}

// newEnvOn is newEnv on cluster c, for a test that must not disturb the
// shared cluster (it restarts its own). c must outlive the env: start it
// before calling newEnvOn, so that its cleanup runs after the env's.
func newEnvOn(t *testing.T, c *cluster.Cluster, agentArgs ...string) *env {
	t.Helper()
	ctx := context.Background()
	ns, err := c.Namespace(ctx, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, kube: c, ns: ns, namespaces: []string{ns}, dir: t.TempDir()}
	e.repo, err = git.CreateRepo(fmt.Sprintf("team/env-%d", repoCount.Add(1)), filepath.Join(e.dir, "work"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs after the agent stopped (cleanups run last first)
		for _, check := range e.afterStop {
			check()
		}
		e.deleteGitSyncs()
	})
	e.startAgent(agentArgs...)
	t.Cleanup(func() { e.stopAgent() })
	e.recipient = e.waitRecipient()
	t.Cleanup(e.checkNoLeaks)
	return e
}

func (e *env) startAgent(extra ...string) {
	e.t.Helper()
	args := append([]string{
		"--kubeconfig", e.kube.Kubeconfig,
		"--namespace", e.ns,
		"--agent-namespace", e.ns,
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--webhook-bind-address", "0",
		"--data-dir", filepath.Join(e.dir, "data"),
		"--log-format", "json",
	}, extra...)
	cmd := harness.Command{Path: bin.Agent, Args: args, Dir: e.dir, Env: e.agentEnv}
	if len(e.agentWrap) > 0 {
		cmd.Path, cmd.Args = e.agentWrap[0], append(append(e.agentWrap[1:len(e.agentWrap):len(e.agentWrap)], bin.Agent), args...)
	}
	p, err := harness.Start(cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	e.agent = p
	e.boundMemory(p)
}

func (e *env) stopAgent() {
	if e.agent == nil {
		return
	}
	err, killed := e.agent.Stop(20 * time.Second)
	if killed {
		e.t.Errorf("seal-agent did not stop within 20s of SIGTERM")
	} else if err != nil {
		e.t.Errorf("seal-agent exited with %v after SIGTERM; output:\n%s", err, tail(e.agent.Output()))
	}
}

// waitRecipient waits for the agent to publish its public key.
func (e *env) waitRecipient() string {
	e.t.Helper()
	var recipient string
	e.eventually(60*time.Second, "the agent publishes its recipient", func() (bool, error) {
		var cm corev1.ConfigMap
		err := e.kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.PublicKeyConfigMap}, &cm)
		if err != nil {
			return false, client.IgnoreNotFound(err)
		}
		recipient = cm.Data[keyring.RecipientKey]
		return recipient != "", nil
	})
	return recipient
}

// seal encrypts a Secret manifest with the built seal binary for the
// agent's recipient and returns the encrypted file.
func (e *env) seal(manifest string, plaintexts ...string) []byte {
	e.t.Helper()
	e.secrets = append(e.secrets, plaintexts...)
	path := filepath.Join(e.dir, fmt.Sprintf("secret-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		e.t.Fatal(err)
	}
	defer os.Remove(path)
	res, err := harness.Run(e.ctx, harness.Command{Path: bin.Seal, Args: []string{"encrypt", "-r", e.recipient, "--namespace", e.ns, path}, Dir: e.dir})
	if err != nil || res.ExitCode != 0 {
		e.t.Fatalf("seal encrypt: %v (exit %d): %s", err, res.ExitCode, res.Stderr)
	}
	return []byte(res.Stdout)
}

// commit commits files (nil deletes), asks the namespace's GitSyncs to
// sync now, as a push webhook would, and returns the commit SHA.
func (e *env) commit(msg string, files map[string][]byte) string {
	e.t.Helper()
	sha, err := e.repo.Commit(msg, files)
	if err != nil {
		e.t.Fatal(err)
	}
	e.syncNow()
	return sha
}

// write changes files in the work tree (nil deletes) without committing.
func (e *env) write(files map[string][]byte) {
	e.t.Helper()
	for name, content := range files {
		path := filepath.Join(e.repo.Dir(), filepath.FromSlash(name))
		if content == nil {
			if err := os.Remove(path); err != nil {
				e.t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

// syncNow sets the sync-requested annotation on every GitSync of the
// namespace.
func (e *env) syncNow() {
	e.t.Helper()
	var syncs v1alpha1.GitSyncList
	if err := e.kube.Client.List(e.ctx, &syncs, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	for i := range syncs.Items {
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"%d"}}}`, v1alpha1.AnnotationSyncRequested, time.Now().UnixNano())
		if err := e.kube.Client.Patch(e.ctx, &syncs.Items[i], client.RawPatch(types.MergePatchType, patch)); err != nil {
			e.t.Fatal(err)
		}
	}
}

// createGitSync creates a GitSync over HTTP with basic auth, syncing every
// interval; mutate adjusts the spec.
func (e *env) createGitSync(name string, interval time.Duration, mutate func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	e.t.Helper()
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-git", Namespace: e.ns},
		StringData: map[string]string{"username": git.Username, "password": git.Password},
	}
	if err := e.kube.Client.Create(e.ctx, creds); err != nil {
		e.t.Fatal(err)
	}
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: v1alpha1.GitSyncSpec{
			URL:             git.HTTPURL(e.repo.Name),
			Interval:        metav1.Duration{Duration: interval},
			SecretRef:       &v1alpha1.LocalObjectReference{Name: creds.Name},
			TargetNamespace: e.ns,
			// No controller runs in the test cluster, so a Deployment
			// never becomes available: the health tests turn waiting on.
			Wait: new(false),
		},
	}
	if mutate != nil {
		mutate(gs)
	}
	if err := e.kube.Client.Create(e.ctx, gs); err != nil {
		e.t.Fatal(err)
	}
	return gs
}

// get reads the GitSync.
func (e *env) get(name string) *v1alpha1.GitSync {
	e.t.Helper()
	var gs v1alpha1.GitSync
	if err := e.kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &gs); err != nil {
		e.t.Fatal(err)
	}
	return &gs
}

// waitApplied waits until the GitSync is Ready at revision sha.
func (e *env) waitApplied(name, sha string) *v1alpha1.GitSync {
	e.t.Helper()
	var gs *v1alpha1.GitSync
	e.eventually(60*time.Second, fmt.Sprintf("GitSync %s Ready at %s", name, sha[:8]), func() (bool, error) {
		gs = e.get(name)
		ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
		return ready != nil && ready.Status == metav1.ConditionTrue && gs.Status.LastAppliedRevision == sha &&
			ready.ObservedGeneration == gs.Generation, nil
	})
	return gs
}

// waitFailed waits until the GitSync is not Ready with reason, and returns
// the condition's message.
func (e *env) waitFailed(name, reason string) string {
	e.t.Helper()
	var msg string
	e.eventually(60*time.Second, fmt.Sprintf("GitSync %s Ready=False with reason %s", name, reason), func() (bool, error) {
		gs := e.get(name)
		ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
		if ready == nil {
			return false, nil
		}
		msg = ready.Message
		return ready.Status == metav1.ConditionFalse && ready.Reason == reason, nil
	})
	return msg
}

// pollInterval is how often eventually checks. Most waits end within a
// second or two, after the agent's sync; a test waits many times, so a
// long poll adds up (200 ms cost about half a minute of the package).
const pollInterval = 50 * time.Millisecond

// eventually polls cond every pollInterval until it holds or timeout
// passes.
func (e *env) eventually(timeout time.Duration, what string, cond func() (bool, error)) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := cond()
		if ok && err == nil {
			return
		}
		lastErr = err
		if e.agent != nil && e.agent.Exited() {
			e.t.Fatalf("seal-agent exited while waiting for %s; output:\n%s", what, tail(e.agent.Output()))
		}
		time.Sleep(pollInterval)
	}
	out := ""
	if e.agent != nil {
		out = tail(e.agent.Output())
	}
	e.t.Fatalf("timed out after %s waiting for %s (last error: %v); agent output:\n%s", timeout, what, lastErr, out)
}

// checkNoLeaks searches the agent's output, the namespace's events and
// every GitSync's status for the plaintext values the test committed.
func (e *env) checkNoLeaks() {
	if len(e.secrets) == 0 {
		return
	}
	var haystacks []string
	if e.agent != nil {
		haystacks = append(haystacks, e.agent.Output())
	}
	var events eventsv1.EventList
	if err := e.kube.Client.List(e.ctx, &events, client.InNamespace(e.ns)); err == nil {
		b, _ := json.Marshal(events)
		haystacks = append(haystacks, string(b))
	}
	var coreEvents corev1.EventList
	if err := e.kube.Client.List(e.ctx, &coreEvents, client.InNamespace(e.ns)); err == nil {
		b, _ := json.Marshal(coreEvents)
		haystacks = append(haystacks, string(b))
	}
	var syncs v1alpha1.GitSyncList
	if err := e.kube.Client.List(e.ctx, &syncs, client.InNamespace(e.ns)); err == nil {
		b, _ := json.Marshal(syncs)
		haystacks = append(haystacks, string(b))
	}
	for _, s := range e.secrets {
		for _, h := range haystacks {
			if strings.Contains(h, s) {
				e.t.Errorf("secret value %q leaked into the agent's logs, events or status", s)
			}
		}
	}
}

// namespace creates another namespace for the test, whose GitSyncs are
// deleted with the env's.
func (e *env) namespace(prefix string) string {
	e.t.Helper()
	ns, err := e.kube.Namespace(e.ctx, prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	e.namespaces = append(e.namespaces, ns)
	return ns
}

// deleteGitSyncs deletes the GitSyncs of the test's namespaces once its
// agent has stopped, dropping the agent's finalizer first. Without a
// controller-manager a deleted namespace keeps its objects, and a GitSync
// left behind would show in a later test's cluster-wide listings (seal
// keys retire refuses while a GitSync never applied a revision). Only the
// test's own namespaces are touched: other tests may run beside it.
func (e *env) deleteGitSyncs() {
	for _, ns := range e.namespaces {
		var list v1alpha1.GitSyncList
		if err := e.kube.Client.List(e.ctx, &list, client.InNamespace(ns)); err != nil {
			e.t.Errorf("listing the GitSyncs of namespace %s to delete after the test: %v", ns, err)
			continue
		}
		for i := range list.Items {
			gs := &list.Items[i]
			if len(gs.Finalizers) > 0 {
				base := gs.DeepCopy()
				gs.Finalizers = nil
				if err := e.kube.Client.Patch(e.ctx, gs, client.MergeFrom(base)); client.IgnoreNotFound(err) != nil {
					e.t.Errorf("dropping the finalizers of GitSync %s/%s: %v", gs.Namespace, gs.Name, err)
				}
			}
			if err := e.kube.Client.Delete(e.ctx, gs); client.IgnoreNotFound(err) != nil {
				e.t.Errorf("deleting GitSync %s/%s after the test: %v", gs.Namespace, gs.Name, err)
			}
		}
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// updateGitSync applies mutate to GitSync name and updates it, reading it
// again when the agent's status writes changed it in between.
func (e *env) updateGitSync(name string, mutate func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	e.t.Helper()
	var gs *v1alpha1.GitSync
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		gs = e.get(name)
		mutate(gs)
		return e.kube.Client.Update(e.ctx, gs)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return gs
}

// setSuspend sets spec.suspend and waits for the agent to see it.
func (e *env) setSuspend(name string, suspend bool) {
	e.t.Helper()
	gs := e.updateGitSync(name, func(gs *v1alpha1.GitSync) { gs.Spec.Suspend = suspend })
	e.eventually(30*time.Second, "the agent to observe spec.suspend", func() (bool, error) {
		return e.get(name).Status.ObservedGeneration == gs.Generation, nil
	})
}

// hasEvent reports whether an event with reason was recorded for the
// namespace's GitSyncs.
func (e *env) hasEvent(reason string) bool {
	e.t.Helper()
	var events eventsv1.EventList
	if err := e.kube.Client.List(e.ctx, &events, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range events.Items {
		if ev.Reason == reason && ev.Regarding.Kind == "GitSync" {
			return true
		}
	}
	return false
}

// otherHostKey is a known_hosts file naming the git server's address with
// a key that is not the server's.
func otherHostKey(t *testing.T) []byte {
	t.Helper()
	fields := strings.Fields(string(git.KnownHosts()))
	other, err := gitserver.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otherFields := strings.Fields(string(other.KnownHosts()))
	return []byte(fields[0] + " " + otherFields[1] + " " + otherFields[2] + "\n")
}
