package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
)

var hostRe = regexp.MustCompile(`https://127\.0\.0\.1:\d+`)

const (
	revOne = "1111111111111111111111111111111111111111"
	revTwo = "2222222222222222222222222222222222222222"
)

// keyUseStatus returns a status writer: the GitSync applied rev, and each
// key opened the given number of files.
func keyUseStatus(rev string, use map[*auditKey]int32) func(*v1alpha1.GitSync) {
	return func(gs *v1alpha1.GitSync) {
		gs.Status.LastAppliedRevision = rev
		gs.Status.DecryptionKeys = nil
		for k, n := range use {
			gs.Status.DecryptionKeys = append(gs.Status.DecryptionKeys, v1alpha1.KeyUsage{Fingerprint: keys.Fingerprint(k.recipient()), Files: n})
		}
	}
}

func newTestGitSync(ns, name string) *v1alpha1.GitSync {
	return &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.GitSyncSpec{URL: "https://git.example.com/fleet.git", Path: "clusters/" + name},
	}
}

// keySecret creates a key Secret holding one identity per data key.
func keySecret(t *testing.T, c *cluster.Cluster, ns, name string, data map[string]*auditKey) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for dk, k := range data {
		s.Data[dk] = []byte(auditRead(t, k.keyFile(t, t.TempDir())))
	}
	if err := c.Client.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func secretDataKeys(t *testing.T, c *cluster.Cluster, ns, name string) []string {
	t.Helper()
	var s corev1.Secret
	if err := c.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range s.Data {
		out = append(out, k)
	}
	if len(out) > 1 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// TestKeysClusterLifecycle drives keys list --cluster-usage, keys usage and
// keys retire against a real apiserver: GitSync statuses as the agent
// writes them decide what may be retired.
func TestKeysClusterLifecycle(t *testing.T) {
	c := startCluster(t, true)
	for _, ns := range []string{"seal-system", "shop"} {
		createNamespace(t, c, ns)
	}
	old := newAuditKey(t, keys.X25519, "OLD")
	cur := newAuditKey(t, keys.Hybrid, "NEW")
	team := newAuditKey(t, keys.X25519, "TEAM")
	teamOld := newAuditKey(t, keys.X25519, "TEAMOLD")
	keySecret(t, c, "seal-system", "seal-agent-key", map[string]*auditKey{"identity.agekey": old, "key-2026-12": cur})
	keySecret(t, c, "shop", "age-keys", map[string]*auditKey{"a": teamOld, "b": team})
	prod := createGitSync(t, c, newTestGitSync("seal-system", "prod"), keyUseStatus(revOne, map[*auditKey]int32{old: 2, cur: 1}))
	staging := createGitSync(t, c, newTestGitSync("seal-system", "staging"), keyUseStatus(revOne, map[*auditKey]int32{cur: 3}))
	createGitSync(t, c, newTestGitSync("shop", "shop"), keyUseStatus(revTwo, map[*auditKey]int32{team: 1}))
	env := map[string]string{"KUBECONFIG": c.Kubeconfig}
	scrub := func(s string) string {
		return hostRe.ReplaceAllString(auditScrub(s, "", old, cur, team, teamOld), "<HOST>")
	}

	// keys list --cluster-usage: which recipients of the repository the cluster uses.
	repo := t.TempDir()
	auditWrite(t, filepath.Join(repo, ".sops.yaml"), auditSopsConfig(auditRule{`^prod/`, []*auditKey{cur}}))
	auditWrite(t, filepath.Join(repo, "prod/a.yaml"), auditEncrypt(t, "a.yaml", auditPlainSecret, old))
	auditWrite(t, filepath.Join(repo, "prod/b.yaml"), auditEncrypt(t, "b.yaml", auditPlainSecret, cur, teamOld))
	r := runSeal(t, repo, env, "", "keys", "list", "--cluster-usage")
	auditNoLeak(t, r)
	got := scrub(r.Stdout + r.Stderr) // the table, then the summary
	if i := strings.Index(got, "RECIPIENT  "); r.Code != ExitOK || i < 0 {
		t.Fatalf("keys list --cluster-usage: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var listed repoKeyList
	r = runSeal(t, repo, env, "", "keys", "list", "--cluster-usage", "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &listed); err != nil {
		t.Fatalf("%v\n%s%s", err, r.Stdout, r.Stderr)
	}
	type use struct {
		Stale, Used bool
		GitSyncs    []string
	}
	gotUse := map[string]use{}
	for _, lr := range listed.Items {
		u := use{Stale: lr.Stale, Used: lr.Cluster.Used}
		for _, g := range lr.Cluster.GitSyncs {
			u.GitSyncs = append(u.GitSyncs, g.GitSync)
		}
		gotUse[scrub(lr.Recipient)] = u
	}
	wantUse := map[string]use{
		"<KEY-OLD>":     {Stale: true, Used: true, GitSyncs: []string{"seal-system/prod"}},
		"<KEY-NEW>":     {Used: true, GitSyncs: []string{"seal-system/prod", "seal-system/staging"}},
		"<KEY-TEAMOLD>": {Stale: true},
	}
	if diff := cmp.Diff(wantUse, gotUse); diff != "" {
		t.Errorf("keys list --cluster-usage -o json (-want +got):\n%s", diff)
	}
	if !strings.Contains(got, "used by seal-system/prod (2 files)") || !strings.Contains(got, "2 stale recipients no rule names") {
		t.Errorf("keys list --cluster-usage text:\n%s", got)
	}

	// keys usage: the aggregate over every GitSync.
	r = runSeal(t, repo, env, "", "keys", "usage")
	wantUsage := []string{
		"<FP-NEW>  seal-system/prod     111111111111  1",
		"<FP-NEW>  seal-system/staging  111111111111  3",
		"<FP-OLD>  seal-system/prod     111111111111  2",
		"<FP-TEAM>  shop/shop            222222222222  1",
		"cluster <HOST> (context envtest): 3 GitSyncs, 3 keys used",
	}
	gotUsage := scrub(r.Stdout + r.Stderr) // the table, then the summary
	for _, w := range wantUsage {
		if !strings.Contains(strings.Join(strings.Fields(gotUsage), " "), strings.Join(strings.Fields(w), " ")) {
			t.Errorf("keys usage: missing %q in:\n%s%s", w, gotUsage, r.Stderr)
		}
	}

	// retire refuses while prod's applied revision still needs the old key,
	// naming it, and changes nothing.
	before := secretDataKeys(t, c, "seal-system", "seal-agent-key")
	r = runSeal(t, repo, env, "", "keys", "retire", keys.Fingerprint(old.recipient()), "--yes")
	wantErr := "seal: error: key <FP-OLD> is still needed: the last applied revision of seal-system/prod (2 files at 111111111111) opened files with it; nothing was removed\n"
	if r.Code != ExitFailure || !strings.HasPrefix(scrub(r.Stderr), wantErr) {
		t.Errorf("retire while used: exit %d, stderr:\n%s\nwant it to start with %q", r.Code, scrub(r.Stderr), wantErr)
	}
	if diff := cmp.Diff(before, secretDataKeys(t, c, "seal-system", "seal-agent-key")); diff != "" {
		t.Errorf("a refused retire changed the key Secret (-want +got):\n%s", diff)
	}

	// prod re-synced a revision re-wrapped for the new key: retire now
	// asks for the fingerprint, refuses a wrong answer, then removes it.
	setGitSyncStatus(t, c, prod, keyUseStatus(revTwo, map[*auditKey]int32{cur: 3}))
	r = runSeal(t, repo, env, "nope\n", "keys", "retire", old.recipient())
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, "not confirmed") {
		t.Errorf("retire with a wrong confirmation: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	if diff := cmp.Diff(before, secretDataKeys(t, c, "seal-system", "seal-agent-key")); diff != "" {
		t.Errorf("an unconfirmed retire changed the key Secret (-want +got):\n%s", diff)
	}
	backup := filepath.Join(repo, "old-key.txt")
	r = runSeal(t, repo, env, "", "keys", "retire", old.recipient(), "--backup", "old-key.txt")
	if r.Code != ExitOK || scrub(r.Stdout) != "retired <FP-OLD>: removed data key identity.agekey from Secret seal-system/seal-agent-key\n" {
		t.Errorf("retire once unused: exit %d\n%s%s", r.Code, scrub(r.Stdout), r.Stderr)
	}
	if diff := cmp.Diff([]string{"key-2026-12"}, secretDataKeys(t, c, "seal-system", "seal-agent-key")); diff != "" {
		t.Errorf("key Secret after retire (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup %s: %v, mode %v; want mode 0600", backup, err, fi)
	} else if ring, err := keys.ParseIdentities(backup, []byte(auditRead(t, backup))); err != nil || !ring.Contains(old.recipient()) {
		t.Errorf("backup does not hold the retired identity: %v", err)
	}
	if r.Stdout+r.Stderr != "" && strings.Contains(r.Stdout+r.Stderr, "AGE-SECRET-KEY") {
		t.Error("retire printed key material")
	}

	// The Secret's last identity is never removed, even when nothing uses it.
	r = runSeal(t, repo, env, "", "keys", "retire", cur.recipient(), "--yes")
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, "still needed") {
		t.Errorf("retire of a used key: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	setGitSyncStatus(t, c, prod, keyUseStatus(revTwo, nil))
	setGitSyncStatus(t, c, staging, keyUseStatus(revTwo, nil))
	r = runSeal(t, repo, env, "", "keys", "retire", cur.recipient(), "--yes")
	if r.Code != ExitFailure || !strings.Contains(scrub(r.Stderr), "Secret seal-system/seal-agent-key: <FP-NEW> is its only identity; nothing was removed") {
		t.Errorf("retire of the last identity: exit %d, stderr:\n%s", r.Code, scrub(r.Stderr))
	}

	// A team's own key Secret works the same.
	r = runSeal(t, repo, env, "", "keys", "retire", team.recipient(), "--secret", "shop/age-keys", "--yes")
	if r.Code != ExitFailure || !strings.Contains(scrub(r.Stderr), "shop/shop (1 file at 222222222222)") {
		t.Errorf("retire of a team key in use: exit %d, stderr:\n%s", r.Code, scrub(r.Stderr))
	}
	r = runSeal(t, repo, env, "", "keys", "retire", teamOld.recipient(), "--secret", "shop/age-keys", "--yes")
	if r.Code != ExitOK {
		t.Errorf("retire of an unused team key: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if diff := cmp.Diff([]string{"b"}, secretDataKeys(t, c, "shop", "age-keys")); diff != "" {
		t.Errorf("team key Secret after retire (-want +got):\n%s", diff)
	}

	// A GitSync that never applied a revision blocks retiring: its needs are unknown.
	createGitSync(t, c, newTestGitSync("shop", "new"), nil)
	r = runSeal(t, repo, env, "", "keys", "retire", keys.Fingerprint(old.recipient()), "--yes")
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, "shop/new never applied a revision") {
		t.Errorf("retire with a GitSync never synced: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
}

// TestKeysRetireUsage: bad arguments are usage errors, before any cluster
// is contacted.
func TestKeysRetireUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "retire"}, "seal: error: seal keys retire takes one KEY (a recipient or its sha256: fingerprint), got 0 arguments\n"},
		{[]string{"keys", "retire", "age1nope"}, "seal: error: KEY invalid recipient"},
		{[]string{"keys", "retire", "sha256:0123456789abcdef", "--secret", "noslash"}, "seal: error: --secret \"noslash\": want NAMESPACE/NAME\n"},
		{[]string{"keys", "list", "-n", "x"}, "seal: error: -n/--namespace chooses GitSyncs for --cluster-usage: pass --cluster-usage too\n"},
	} {
		r := runSeal(t, t.TempDir(), nil, "", tt.args...)
		if r.Code != ExitUsage || !strings.HasPrefix(r.Stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.Code, r.Stderr, ExitUsage, tt.want)
		}
	}
}

// TestKeysRotateCluster: seal keys rotate --cluster asks the agent's key
// store (running here as the agent runs it, against a real apiserver) for a
// new identity, waits for it, and prints both keys with their states; the
// private key is generated in the cluster and never printed.
func TestKeysRotateCluster(t *testing.T) {
	c := startCluster(t, false)
	createNamespace(t, c, "seal-system")
	store := &keyring.Store{Client: c.Client, Namespace: "seal-system", SecretName: keyring.DefaultSecretName}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, err := store.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- store.Watch(ctx, 200*time.Millisecond) }()
	env := map[string]string{"KUBECONFIG": c.Kubeconfig}

	r := runSeal(t, t.TempDir(), env, "", "keys", "rotate", "--cluster", "--timeout", "30s")
	if r.Code != ExitOK {
		t.Fatalf("rotate --cluster: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	ring, err := store.Ring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Len() != 2 || ring.Recipients()[0] != first.Recipients()[0] {
		t.Fatalf("ring after rotate --cluster: %v, want the first key and a new one", ring)
	}
	oldFP, newFP := keys.Fingerprint(first.Recipients()[0]), keys.Fingerprint(ring.Recipients()[1])
	lines := strings.Split(r.Stdout, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "retiring  "+oldFP+"  created 20") || !strings.HasPrefix(lines[1], "active    "+newFP+"  created 20") {
		t.Errorf("rotate --cluster output:\n%s", r.Stdout)
	}
	if strings.Contains(r.Stdout+r.Stderr, "AGE-SECRET-KEY") {
		t.Error("rotate --cluster printed key material")
	}
	// keys fetch picks the active key.
	r = runSeal(t, t.TempDir(), env, "", "keys", "fetch")
	if r.Code != ExitOK || strings.TrimSpace(r.Stdout) != ring.Recipients()[1] {
		t.Errorf("keys fetch after rotate --cluster: exit %d, %q; want the new active recipient", r.Code, r.Stdout)
	}

	// kubectl's connection flags reach the requests (but its --cluster,
	// which is rotate's own).
	r = runSeal(t, t.TempDir(), env, "", "keys", "rotate", "--cluster", "--as", "someone-else", "--timeout", "5s")
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, `User "someone-else" cannot`) {
		t.Errorf("rotate --cluster --as: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	r = runSeal(t, t.TempDir(), env, "", "keys", "rotate", "--cluster", "--server", "https://127.0.0.1:1", "--timeout", "5s")
	if r.Code != ExitFailure || !strings.Contains(r.Stderr, "https://127.0.0.1:1") {
		t.Errorf("rotate --cluster --server: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	for _, args := range [][]string{
		{"keys", "rotate", "--cluster", "secrets/"},
		{"keys", "rotate", "--context", "prod"},
		{"keys", "rotate", "--as", "someone-else"},
	} {
		if r := runSeal(t, t.TempDir(), env, "", args...); r.Code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, r.Code, ExitUsage, r.Stderr)
		}
	}
	cancel()
	<-done
}
