package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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
	"github.com/seal-gitops/seal/agent/receiver"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// webhookPushes is how many pushes the webhook benchmark times.
const webhookPushes = 20

// BenchmarkWebhookPush1000 times push to deploy on the 1,001-object
// repository: a commit changes one ConfigMap, a signed GitHub-style push
// delivery goes to the built agent's webhook receiver, and the clock stops
// when the GitSync is Ready at the commit (the ConfigMap applied). The
// GitSync's interval is an hour, so only the webhook can start the sync.
// p50 and p95 over 20 pushes.
//
//	go test -run '^$' -bench WebhookPush -benchtime 1x ./test/bench/
func BenchmarkWebhookPush1000(b *testing.B) {
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
		m := measureWebhook(b, ctx, bins, files, id, dir)
		total, answer, sync := sorted(m.total), sorted(m.answer), sorted(m.sync)
		b.ReportMetric(percentile(total, 50).Seconds(), "push-p50-s")
		b.ReportMetric(percentile(total, 95).Seconds(), "push-p95-s")
		b.ReportMetric(percentile(sync, 50).Seconds(), "sync-p50-s")
		fmt.Fprintf(os.Stderr, "\nseal-agent, push to deploy on 1,001 objects (webhook delivered -> one changed object applied, %d pushes)\n", len(total))
		fmt.Fprintf(os.Stderr, "  push to applied   p50 %6.3fs   p95 %6.3fs   min %6.3fs   max %6.3fs\n", percentile(total, 50).Seconds(), percentile(total, 95).Seconds(), total[0].Seconds(), total[len(total)-1].Seconds())
		fmt.Fprintf(os.Stderr, "  receiver answer   p50 %6.3fs   p95 %6.3fs   (verify, match, annotate)\n", percentile(answer, 50).Seconds(), percentile(answer, 95).Seconds())
		fmt.Fprintf(os.Stderr, "  the sync itself   p50 %6.3fs   p95 %6.3fs   (the agent's own duration)\n", percentile(sync, 50).Seconds(), percentile(sync, 95).Seconds())
		fmt.Fprintf(os.Stderr, "  median sync's stages: %s\n\n", m.stages)
	}
}

func sorted(d []time.Duration) []time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d
}

// webhookMeasure is, for each push, the time to applied, the receiver's
// answer time and the agent's own sync duration (from its log), with the
// stage durations of the sync of median length.
type webhookMeasure struct {
	total, answer, sync []time.Duration
	stages              string
}

// percentile is the nearest-rank percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func measureWebhook(b *testing.B, ctx context.Context, bins harness.Binaries, files map[string][]byte, id *keys.Identity, dir string) webhookMeasure {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	c, err := cluster.Start(cluster.Options{CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")}, Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
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
	const agentNS, token = "seal-system", "bench-webhook-token-8d1e2f3a4b5c"
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: agentNS},
		Spec: v1alpha1.GitSyncSpec{URL: git.HTTPURL("bench"), Interval: metav1.Duration{Duration: time.Hour},
			SecretRef: &v1alpha1.LocalObjectReference{Name: "git"}},
	}
	rcv := &v1alpha1.Receiver{
		ObjectMeta: metav1.ObjectMeta{Name: "github", Namespace: agentNS},
		Spec:       v1alpha1.ReceiverSpec{Provider: v1alpha1.ProviderGitHub, SecretRef: v1alpha1.LocalObjectReference{Name: "webhook"}},
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agentNS}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: keyring.DefaultSecretName, Namespace: agentNS},
			Data: map[string][]byte{"identity.agekey": id.MarshalText(time.Now())}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git", Namespace: agentNS},
			StringData: map[string]string{"username": git.Username, "password": git.Password}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: agentNS}, StringData: map[string]string{"token": token}},
		rcv,
	} {
		if err := c.Client.Create(ctx, obj); err != nil {
			b.Fatal(err)
		}
	}
	webhookAddr := freeAddr(b)
	agent, err := harness.Start(harness.Command{Path: bins.Agent, Dir: b.TempDir(), Args: []string{
		"--kubeconfig", c.Kubeconfig, "--agent-namespace", agentNS,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--webhook-bind-address", webhookAddr,
		"--data-dir", filepath.Join(dir, "webhook-data"), "--log-level", logLevel(),
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Stop(20 * time.Second)
	waitFor(b, agent, 60*time.Second, func() bool { return strings.Contains(agent.Output(), "Starting workers") })
	if err := c.Client.Create(ctx, gs); err != nil {
		b.Fatal(err)
	}
	waitFor(b, agent, 5*time.Minute, func() bool { return appliedAt(ctx, c, gs, sha) })
	var path string
	waitFor(b, agent, 60*time.Second, func() bool {
		var got v1alpha1.Receiver
		if c.Client.Get(ctx, client.ObjectKeyFromObject(rcv), &got) != nil {
			return false
		}
		path = got.Status.WebhookPath
		return meta.IsStatusConditionTrue(got.Status.Conditions, v1alpha1.ConditionReady)
	})
	url := "http://" + webhookAddr + path

	var m webhookMeasure
	var revisions []string
	for n := range webhookPushes {
		next, err := repo.Commit(fmt.Sprintf("push %d", n), map[string][]byte{configMapPath(7): configMapFile(7, fmt.Sprintf("push-%d", n))})
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": next,
			"repository": map[string]any{"clone_url": git.HTTPURL("bench")}})
		start := time.Now()
		if os.Getenv("SEAL_BENCH_LOG") != "" {
			fmt.Fprintf(os.Stderr, "push %d (%s) delivered at %s\n", n, next[:12], start.UTC().Format(time.RFC3339Nano))
		}
		if code := deliverPush(b, url, body, token); code != http.StatusOK {
			b.Fatalf("push %d: the receiver answered %d; agent output:\n%s", n, code, agent.Output())
		}
		m.answer = append(m.answer, time.Since(start))
		waitFor(b, agent, 2*time.Minute, func() bool { return appliedAt(ctx, c, gs, next) })
		m.total = append(m.total, time.Since(start))
		revisions = append(revisions, next)
	}
	if os.Getenv("SEAL_BENCH_LOG") != "" {
		fmt.Fprintln(os.Stderr, agent.Output())
	}
	synced := syncedLines(agent.Output())
	var lines []map[string]any
	for _, rev := range revisions {
		entry, ok := synced[rev]
		if !ok {
			b.Fatalf("the agent logged no synced line for %s", rev)
		}
		d, err := time.ParseDuration(fmt.Sprint(entry["duration"]))
		if err != nil {
			b.Fatalf("synced line of %s: duration: %v", rev, err)
		}
		m.sync = append(m.sync, d)
		lines = append(lines, entry)
	}
	median := sorted(m.sync)[len(m.sync)/2]
	for i, d := range m.sync {
		if d == median {
			var parts []string
			for _, k := range []string{"source", "pending", "verify", "render", "sealcheck", "apply", "prune", "health", "notify"} {
				if v, ok := lines[i][k]; ok {
					parts = append(parts, fmt.Sprintf("%s %v", k, v))
				}
			}
			m.stages = strings.Join(parts, ", ")
			break
		}
	}
	return m
}

// syncedLines are the agent's "synced" log lines by revision.
func syncedLines(log string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for line := range strings.Lines(log) {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "synced" {
			continue
		}
		if rev, ok := entry["revision"].(string); ok {
			out[rev] = entry
		}
	}
	return out
}

// deliverPush POSTs a signed GitHub push delivery and returns the status.
func deliverPush(b *testing.B, url string, body []byte, token string) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+receiver.Sign(body, []byte(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
