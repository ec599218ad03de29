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
	"slices"
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

// BenchmarkAgentSync times the built seal-agent on repositories of n
// objects for each n of -bench-sizes (a Namespace, then four ConfigMaps for
// every SOPS-encrypted Secret, one object a file), each scenario on a fresh
// apiserver: the first sync, one-object changes and a no-op resync, with
// the write requests the agent sent and its peak memory; beside the bare
// parallel apply of the same objects, measured in the same run. It prints
// the table in the README's format, writes it as JSON with -bench-json and
// prints the ratio of each number to an earlier run's with -bench-compare.
//
//	go test -run '^$' -bench AgentSync -benchtime 1x ./test/bench/ -args -bench-sizes 1000
func BenchmarkAgentSync(b *testing.B) {
	ctx := context.Background()
	sizes, err := parseSizes(*benchSizes)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	bins, err := harness.Build(filepath.Join(dir, "bin"))
	if err != nil {
		b.Fatal(err)
	}
	id, err := keys.Generate(keys.Hybrid)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		report := newBenchReport()
		for j, n := range sizes {
			files, err := benchRepoN(id.Recipient(), n)
			if err != nil {
				b.Fatal(err)
			}
			bare := measureBare(b, ctx, files, id)
			profile := ""
			if j == 0 {
				profile = *benchProfile
			}
			m := measureAgent(b, ctx, bins, files, id, filepath.Join(dir, fmt.Sprint(n)), profile)
			row := m.row(len(files), bare, stageOfFirstSync(b, m.log, "sealcheck"))
			report.Rows = append(report.Rows, row)
			if os.Getenv("SEAL_BENCH_LOG") != "" {
				fmt.Fprintln(os.Stderr, m.log)
			}
			// Each row as it comes, so a run cut short still shows some.
			fmt.Fprintln(os.Stderr)
			(&benchReport{Time: report.Time, CPUs: report.CPUs, Rows: []benchRow{row}}).print(os.Stderr)
			if *benchJSON != "" {
				if err := report.write(*benchJSON); err != nil {
					b.Fatal(err)
				}
			}
			unit := fmt.Sprintf("-%d", row.Objects)
			b.ReportMetric(row.BareApply, "bare-apply-s"+unit)
			b.ReportMetric(row.FirstSync, "first-sync-s"+unit)
			b.ReportMetric(row.ChangeP50, "change-s"+unit)
			b.ReportMetric(row.Noop, "noop-s"+unit)
			b.ReportMetric(float64(row.NoopWrites), "noop-writes"+unit)
			b.ReportMetric(row.PeakMiB, "peak-MiB"+unit)
			b.ReportMetric(row.FirstOverBare, "first/bare"+unit)
		}
		fmt.Fprintln(os.Stderr)
		report.print(os.Stderr)
		if *benchJSON != "" {
			if err := report.write(*benchJSON); err != nil {
				b.Fatal(err)
			}
		}
		if *benchCompare != "" {
			if err := report.compare(os.Stderr, *benchCompare); err != nil {
				b.Fatal(err)
			}
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

// changes is how many one-object changes the agent bench times.
const changes = 5

type agentMeasure struct {
	first, noop             time.Duration
	change                  []time.Duration // each one-object change
	firstWrites, noopWrites int64
	changeWrites            int64 // of all the changes together
	peakRSS                 int64
	peakAnon                int64  // sampled every 10 ms (harness.SampleAnon)
	log                     string // the agent's output, printed with SEAL_BENCH_LOG=1
}

// measureAgent runs the built agent on a fresh apiserver and times it on
// files. With profile, a directory, it writes CPU profiles of the agent
// over the first sync (first.cpu.pprof) and over one-object changes
// (change.cpu.pprof), and a heap profile after the first sync.
func measureAgent(b *testing.B, ctx context.Context, bins harness.Binaries, files map[string][]byte, id *keys.Identity, dir, profile string) agentMeasure {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
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
	metricsAddr, pprofAddr := freeAddr(b), "0"
	if profile != "" {
		pprofAddr = freeAddr(b)
	}
	agent, err := harness.Start(harness.Command{Path: bins.Agent, Dir: b.TempDir(), Args: []string{
		"--kubeconfig", kubeconfig, "--agent-namespace", agentNS,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0", "--webhook-bind-address", "0",
		"--pprof-bind-address", pprofAddr,
		"--data-dir", filepath.Join(dir, "data"), "--log-level", logLevel(),
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Stop(20 * time.Second)
	stopAnon := agent.SampleAnon(10 * time.Millisecond)
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
	cpu := startProfile(b, profile, pprofAddr, "first.cpu.pprof", 60*time.Second)
	start := time.Now()
	if os.Getenv("SEAL_BENCH_LOG") != "" {
		fmt.Fprintln(os.Stderr, "creating the GitSync at", start.UTC().Format(time.RFC3339Nano))
	}
	if err := c.Client.Create(ctx, gs); err != nil {
		b.Fatal(err)
	}
	waitFor(b, agent, 10*time.Minute, func() bool { return appliedAt(ctx, c, gs, sha) })
	m.first = time.Since(start)
	m.firstWrites, _ = proxy.Reset()
	cpu.wait(b)
	writeHeapProfile(b, profile, pprofAddr, "first.heap.pprof")

	// One object changes in Git; a sync is requested right away. With a
	// profile, changes go on until the profile's window ends.
	cpu = startProfile(b, profile, pprofAddr, "change.cpu.pprof", 20*time.Second)
	for n := 0; n < changes || cpu.running(); n++ {
		next, err := repo.Commit("change one ConfigMap", map[string][]byte{configMapPath(7): configMapFile(7, fmt.Sprintf("v%d", n+2))})
		if err != nil {
			b.Fatal(err)
		}
		proxy.Reset()
		start = time.Now()
		requestSync(b, ctx, c, gs)
		waitFor(b, agent, 5*time.Minute, func() bool { return appliedAt(ctx, c, gs, next) })
		if n < changes {
			m.change = append(m.change, time.Since(start))
			w, _ := proxy.Reset()
			m.changeWrites += w
		}
	}
	cpu.wait(b)

	// Nothing changes: the sync must finish without writing anything.
	before := syncCount(metricsAddr)
	time.Sleep(time.Second) // let the change's events settle out of the count
	proxy.Reset()
	start = time.Now()
	requested := requestSync(b, ctx, c, gs)
	waitFor(b, agent, 10*time.Minute, func() bool { return syncCount(metricsAddr) > before })
	m.noop = time.Since(start)
	// A requested sync records that it handled the request with one status
	// patch (seal reconcile --wait reads it); a sync on the interval sends
	// not even that (TestResyncWithNothingChangedWritesNothing). Counted
	// once the patch landed, so the count does not depend on timing.
	waitFor(b, agent, time.Minute, func() bool { return handled(ctx, c, gs, requested) })
	time.Sleep(200 * time.Millisecond) // a late write would show now
	m.noopWrites = int64(len(writesBesides(proxy.WriteRequests(), statusPath(gs))))
	if m.peakRSS, err = agent.PeakRSS(); err != nil {
		b.Fatal(err)
	}
	m.peakAnon = stopAnon()
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
func requestSync(b *testing.B, ctx context.Context, c *cluster.Cluster, gs *v1alpha1.GitSync) string {
	value := strconv.FormatInt(time.Now().UnixNano(), 10)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, v1alpha1.AnnotationSyncRequested, value)
	if err := c.Client.Patch(ctx, gs, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		b.Fatal(err)
	}
	return value
}

// handled reports whether the GitSync's status records the sync request
// value as handled.
func handled(ctx context.Context, c *cluster.Cluster, gs *v1alpha1.GitSync, value string) bool {
	var got v1alpha1.GitSync
	if err := c.Client.Get(ctx, client.ObjectKeyFromObject(gs), &got); err != nil {
		return false
	}
	return got.Status.LastHandledSyncRequest == value
}

// statusPath is the write request of the GitSync's status patch, as the
// counting proxy lists it.
func statusPath(gs *v1alpha1.GitSync) string {
	return "PATCH /apis/seal.dev/v1alpha1/namespaces/" + gs.Namespace + "/gitsyncs/" + gs.Name + "/status"
}

// writesBesides is writes without one request of except.
func writesBesides(writes []string, except string) []string {
	if i := slices.Index(writes, except); i >= 0 {
		return slices.Delete(slices.Clone(writes), i, i+1)
	}
	return writes
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
