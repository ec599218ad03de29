package bench_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// BenchmarkAgentSync1000 times the built seal-agent on a repository of
// 1,001 objects (a Namespace, 800 ConfigMaps, 200 SOPS-encrypted Secrets),
// each scenario on a fresh apiserver: the first sync, a one-object change
// and a no-op resync, with the write requests the agent sent and its peak
// memory; beside the bare parallel apply of the same objects.
//
//	go test -run '^$' -bench AgentSync -benchtime 1x ./test/bench/
func BenchmarkAgentSync1000(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	bins, err := harness.Build(filepath.Join(dir, "bin"))
	if err != nil {
		b.Fatal(err)
	}
	id, err := keys.Generate(keys.Hybrid)
	if err != nil {
		b.Fatal(err)
	}
	files, err := benchRepo(id.Recipient())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		bare := measureBare(b, ctx, files, id)
		m := measureAgent(b, ctx, bins, files, id, dir)
		b.ReportMetric(bare.Seconds(), "bare-apply-s")
		b.ReportMetric(m.first.Seconds(), "first-sync-s")
		b.ReportMetric(m.change.Seconds(), "change-s")
		b.ReportMetric(m.noop.Seconds(), "noop-s")
		b.ReportMetric(float64(m.firstWrites), "first-writes")
		b.ReportMetric(float64(m.changeWrites), "change-writes")
		b.ReportMetric(float64(m.noopWrites), "noop-writes")
		b.ReportMetric(float64(m.peakRSS)/(1<<20), "peak-MiB")
		b.ReportMetric(m.first.Seconds()/bare.Seconds(), "first/bare")
		check := stageOfFirstSync(b, m.log, "sealcheck")
		b.ReportMetric(100*check.Seconds()/m.first.Seconds(), "sealcheck-%")
		fmt.Fprintf(os.Stderr, "\nseal-agent, 1,001 objects (bare parallel apply: %.2fs)\n", bare.Seconds())
		fmt.Fprintf(os.Stderr, "  first sync      %6.2fs  %4d writes  (%.1fx bare)\n", m.first.Seconds(), m.firstWrites, m.first.Seconds()/bare.Seconds())
		fmt.Fprintf(os.Stderr, "  one-object change %4.2fs  %4d writes\n", m.change.Seconds(), m.changeWrites)
		fmt.Fprintf(os.Stderr, "  no-op resync    %6.2fs  %4d writes\n", m.noop.Seconds(), m.noopWrites)
		fmt.Fprintf(os.Stderr, "  peak memory     %6.0f MiB\n", float64(m.peakRSS)/(1<<20))
		fmt.Fprintf(os.Stderr, "  seal check      %6.3fs  (%.2f%% of the first sync)\n\n", check.Seconds(), 100*check.Seconds()/m.first.Seconds())
		if os.Getenv("SEAL_BENCH_LOG") != "" {
			fmt.Fprintln(os.Stderr, m.log)
		}
	}
}

func measureBare(b *testing.B, ctx context.Context, files map[string][]byte, id *keys.Identity) time.Duration {
	c, err := cluster.Start(cluster.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	took, _, err := bareApply(ctx, c, files, id.AgeIdentity())
	if err != nil {
		b.Fatal(err)
	}
	return took
}

type agentMeasure struct {
	first, change, noop                   time.Duration
	firstWrites, changeWrites, noopWrites int64
	peakRSS                               int64
	log                                   string // the agent's output, printed with SEAL_BENCH_LOG=1
}

func measureAgent(b *testing.B, ctx context.Context, bins harness.Binaries, files map[string][]byte, id *keys.Identity, dir string) agentMeasure {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	c, err := cluster.Start(cluster.Options{CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")}, Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	proxy, err := harness.NewCountingProxy(c.Config)
	if err != nil {
		b.Fatal(err)
	}
	defer proxy.Close()
	kubeconfig, err := proxy.Kubeconfig(dir)
	if err != nil {
		b.Fatal(err)
	}
	git, err := gitserver.Start(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer git.Close()
	repo, err := git.CreateRepo("bench", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sha, err := repo.Commit("1,001 objects", files)
	if err != nil {
		b.Fatal(err)
	}

	// The agent's key, installed beforehand as a security team would.
	const agentNS = "seal-system"
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agentNS}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: keyring.DefaultSecretName, Namespace: agentNS},
			Data: map[string][]byte{"identity.agekey": id.MarshalText(time.Now())}},
	} {
		if err := c.Client.Create(ctx, obj); err != nil {
			b.Fatal(err)
		}
	}
	metricsAddr := freeAddr(b)
	agent, err := harness.Start(harness.Command{Path: bins.Agent, Dir: b.TempDir(), Args: []string{
		"--kubeconfig", kubeconfig, "--agent-namespace", agentNS,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0", "--webhook-bind-address", "0",
		"--data-dir", filepath.Join(dir, "data"), "--log-level", logLevel(),
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Stop(20 * time.Second)
	// Started: key loaded, caches synced, workers waiting.
	waitFor(b, agent, 60*time.Second, func() bool { return strings.Contains(agent.Output(), "Starting workers") })

	var m agentMeasure
	proxy.Reset()
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: agentNS},
		Spec:       v1alpha1.GitSyncSpec{URL: git.HTTPURL("bench"), Interval: metav1.Duration{Duration: time.Hour}},
	}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git", Namespace: agentNS},
		StringData: map[string]string{"username": git.Username, "password": git.Password}}
	if err := c.Client.Create(ctx, creds); err != nil {
		b.Fatal(err)
	}
	gs.Spec.SecretRef = &v1alpha1.LocalObjectReference{Name: creds.Name}
	start := time.Now()
	if os.Getenv("SEAL_BENCH_LOG") != "" {
		fmt.Fprintln(os.Stderr, "creating the GitSync at", start.UTC().Format(time.RFC3339Nano))
	}
	if err := c.Client.Create(ctx, gs); err != nil {
		b.Fatal(err)
	}
	waitFor(b, agent, 5*time.Minute, func() bool { return appliedAt(ctx, c, gs, sha) })
	m.first = time.Since(start)
	m.firstWrites, _ = proxy.Reset()

	// One object changes in Git; a sync is requested right away.
	sha2, err := repo.Commit("change one ConfigMap", map[string][]byte{"config/cm-0007.yaml": configMapFile(7, "v2")})
	if err != nil {
		b.Fatal(err)
	}
	proxy.Reset()
	start = time.Now()
	requestSync(b, ctx, c, gs)
	waitFor(b, agent, 5*time.Minute, func() bool { return appliedAt(ctx, c, gs, sha2) })
	m.change = time.Since(start)
	m.changeWrites, _ = proxy.Reset()

	// Nothing changes: the sync must finish without writing anything.
	before := syncCount(metricsAddr)
	time.Sleep(time.Second) // let the change's events settle out of the count
	proxy.Reset()
	start = time.Now()
	requestSync(b, ctx, c, gs)
	waitFor(b, agent, 5*time.Minute, func() bool { return syncCount(metricsAddr) > before })
	m.noop = time.Since(start)
	m.noopWrites, _ = proxy.Reset()
	if m.peakRSS, err = agent.PeakRSS(); err != nil {
		b.Fatal(err)
	}
	m.log = agent.Output()
	return m
}

// appliedAt reports whether the GitSync is Ready at sha.
func appliedAt(ctx context.Context, c *cluster.Cluster, gs *v1alpha1.GitSync, sha string) bool {
	var got v1alpha1.GitSync
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
		return false
	}
	ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	return ready != nil && ready.Status == metav1.ConditionTrue && got.Status.LastAppliedRevision == sha
}

// requestSync sets the sync-requested annotation (sent straight to the
// apiserver, not through the counting proxy).
func requestSync(b *testing.B, ctx context.Context, c *cluster.Cluster, gs *v1alpha1.GitSync) {
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationSyncRequested, strconv.FormatInt(time.Now().UnixNano(), 10))
	if err := c.Client.Patch(ctx, gs, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		b.Fatal(err)
	}
}

// syncCount scrapes the agent's count of finished syncs; -1 while the
// endpoint is not up.
func syncCount(addr string) int {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	n := 0
	s := bufio.NewScanner(resp.Body)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "seal_sync_duration_seconds_count{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}

func waitFor(b *testing.B, agent *harness.Process, timeout time.Duration, cond func() bool) {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if agent.Exited() || time.Now().After(deadline) {
			b.Fatalf("timed out or agent exited; agent output:\n%s", agent.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// logLevel is debug when SEAL_BENCH_LOG asks for the agent's log.
func logLevel() string {
	if os.Getenv("SEAL_BENCH_LOG") != "" {
		return "debug"
	}
	return "info"
}

// stageOfFirstSync reads how long stage took in the agent's first "synced"
// log line (the agent logs each stage's duration there).
func stageOfFirstSync(b *testing.B, log, stage string) time.Duration {
	for line := range strings.Lines(log) {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "synced" {
			continue
		}
		s, _ := entry[stage].(string)
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("the agent's first synced log line has no %s duration: %s", stage, line)
		}
		return d
	}
	b.Fatalf("the agent logged no synced line")
	return 0
}
