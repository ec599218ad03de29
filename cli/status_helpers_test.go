package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// Fixtures shared by the status and bootstrap tests.

// startCluster starts a control plane for one test, with the GitSync CRD
// installed when withCRD is set.
func startCluster(t *testing.T, withCRD bool) *cluster.Cluster {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	opts := cluster.Options{Scheme: scheme}
	if withCRD {
		opts.CRDDirs = []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")}
	}
	c, err := cluster.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

// createNamespace creates a namespace with a fixed name (each test has its
// own cluster, so names do not collide and goldens stay stable).
func createNamespace(t *testing.T, c *cluster.Cluster, name string) {
	t.Helper()
	if err := c.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
}

// statusTime is the time every test condition changed.
var statusTime = metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))

// readyCondition is a Ready condition for the object's current generation.
func readyCondition(gs *v1alpha1.GitSync, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: v1alpha1.ConditionReady, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: gs.Generation, LastTransitionTime: statusTime}
}

// createGitSync creates gs and then, if status is not nil, writes it
// through the status subresource as the agent would; status receives the
// created object to fill in.
func createGitSync(t *testing.T, c *cluster.Cluster, gs *v1alpha1.GitSync, status func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	t.Helper()
	ctx := context.Background()
	if err := c.Client.Create(ctx, gs); err != nil {
		t.Fatal(err)
	}
	if status != nil {
		setGitSyncStatus(t, c, gs, status)
	}
	return gs
}

// setGitSyncStatus changes gs's status with the status subresource.
func setGitSyncStatus(t *testing.T, c *cluster.Cluster, gs *v1alpha1.GitSync, status func(*v1alpha1.GitSync)) {
	t.Helper()
	status(gs)
	if err := c.Client.Status().Update(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer is a bytes.Buffer a command writes to while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrubObjectMeta replaces what the API server makes up (uid,
// resourceVersion, creation time) in JSON or YAML output.
func scrubObjectMeta(s string) string {
	return objectMetaRe.ReplaceAllString(s, `${1}${2}${3}: "<${2}>"${4}`)
}

var objectMetaRe = regexp.MustCompile(`(?m)("?)(uid|resourceVersion|creationTimestamp)("?): .*?(,?)$`)

// lines splits output into lines, without the final empty one.
func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
