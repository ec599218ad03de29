package agent_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// storyFiles is how many sealed Secrets the key lifecycle story syncs.
const storyFiles = 200

// story is TestKeyLifecycleStory's repository, keys and tools.
type story struct {
	*env
	work     string // the repository's work tree
	teamFile string // the team's identity file, a recipient of every file
	teamR    string
	metrics  string // the agent's metrics address
}

// TestKeyLifecycleStory is issue 15's whole story on the real API server
// with the built agent and seal: 200 sealed Secrets synced; seal keys
// rotate --cluster makes the running agent generate a key, which opens a
// file sealed for it beside the 200 for the old key, without a restart or
// a failed sync; seal keys rotate --dry-run plans the repository's
// re-encryption and changes nothing; seal keys rotate killed halfway leaves
// every file wholly old or wholly new, and run again finishes the rest;
// retire is refused while one committed file still needs the old key and
// accepted once none does; the key Secret deleted during a sync is
// restored with every identity (Warning event, log line, metric) and the
// sync succeeds; an agent restarted while its key Secret is gone refuses
// to generate a fresh key and says what to do; with the Secret restored
// from a backup it starts, and a sync afterwards succeeds.
//
// Not parallel: seal keys retire reads every GitSync of the cluster, and
// refuses while one never applied a revision, as another test's may not
// have yet.
func TestKeyLifecycleStory(t *testing.T) {
	start := time.Now()
	s := newStory(t)
	oldR := s.recipient

	// 200 sealed Secrets, for the agent's key and the team's.
	s.writeRule(oldR, s.teamR)
	plain := map[string][]byte{}
	for i := range storyFiles {
		m, v := rotationSecret(s.ns, i)
		s.secrets = append(s.secrets, v)
		plain[fmt.Sprintf("apps/s%03d.yaml", i)] = []byte(m)
	}
	s.write(plain)
	s.seal("encrypt", "-i", "apps")
	sha, err := s.repo.CommitAll("200 sealed Secrets")
	if err != nil {
		t.Fatal(err)
	}
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "apps" })
	gs := s.waitApplied("apps", sha)
	if got := keyFiles(gs)[keys.Fingerprint(oldR)]; got != storyFiles {
		t.Fatalf("status.decryptionKeys = %v, want %d files for the agent's key", gs.Status.DecryptionKeys, storyFiles)
	}
	t.Logf("200 files synced after %s", time.Since(start).Round(time.Second))

	// A new key in the cluster, no restart: both keys open the revision.
	agentOut := len(s.agent.Output())
	res := s.seal("keys", "rotate", "--cluster", "-n", s.ns, "--timeout", "60s")
	newR := s.waitRecipient()
	if newR == oldR || !strings.Contains(res.Stdout, "active    "+keys.Fingerprint(newR)) {
		t.Fatalf("after rotate --cluster the active recipient is %s (was %s); output:\n%s", keys.Short(newR), keys.Short(oldR), res.Stdout)
	}
	s.writeRule(newR, s.teamR)
	m, v := rotationSecret(s.ns, storyFiles)
	s.secrets = append(s.secrets, v)
	s.write(map[string][]byte{"apps/new.yaml": []byte(m)})
	s.seal("encrypt", "-i", "apps/new.yaml")
	gs = s.commitAll("one for the new key")
	if used := keyFiles(gs); used[keys.Fingerprint(oldR)] != storyFiles || used[keys.Fingerprint(newR)] != 1 {
		t.Errorf("status.decryptionKeys = %v; want %d files for the old key and 1 for the new", gs.Status.DecryptionKeys, storyFiles)
	}
	if strings.Contains(s.agent.Output()[agentOut:], `"msg":"starting"`) {
		t.Error("the agent restarted")
	}
	s.noFailedSync()

	// The plan first: nothing changes.
	before := s.snapshot()
	res = s.seal("keys", "rotate", "--dry-run", "apps")
	if !strings.HasSuffix(res.Stdout, fmt.Sprintf("dry run: %d files to rotate, 1 up to date; nothing was changed\n", storyFiles)) ||
		!strings.Contains(res.Stdout, "would rotate   apps/s000.yaml\n") {
		t.Errorf("seal keys rotate --dry-run:\n%s", tail(res.Stdout))
	}
	if changed := s.changedSince(before); len(changed) != 0 {
		t.Errorf("the dry run changed %d files", len(changed))
	}

	// Killed halfway: every file wholly old or wholly new; again finishes.
	done := s.rotateKilledHalfway(before)
	s.checkConsistent(oldR, newR)
	res = s.seal("keys", "rotate", "--identity", s.teamFile, "apps")
	if want := fmt.Sprintf("rotated %d files, %d up to date, 0 failed\n", storyFiles-done, done+1); !strings.HasSuffix(res.Stdout, want) {
		t.Errorf("rotate after the interrupt: want %q, got\n%s", want, tail(res.Stdout))
	}
	if n := s.checkConsistent(oldR, newR); n != storyFiles+1 {
		t.Errorf("%d of %d files are for the new rule after the second run", n, storyFiles+1)
	}

	// One file still for the old key: retire refused, naming the GitSync.
	if _, err := gitCmd(s.work, "checkout", "HEAD", "--", "apps/s007.yaml"); err != nil {
		t.Fatal(err)
	}
	gs = s.commitAll("re-encrypted but one")
	if used := keyFiles(gs); used[keys.Fingerprint(oldR)] != 1 || used[keys.Fingerprint(newR)] != storyFiles {
		t.Errorf("status.decryptionKeys = %v; want 1 file for the old key", gs.Status.DecryptionKeys)
	}
	res = s.sealExit(1, "keys", "retire", keys.Fingerprint(oldR), "--secret", s.ns+"/"+keyring.DefaultSecretName, "--yes")
	if !strings.Contains(res.Stderr, s.ns+"/apps (1 file at") {
		t.Errorf("retire while one file needs the key:\n%s", res.Stderr)
	}
	s.seal("keys", "rotate", "--identity", s.teamFile, "apps")
	gs = s.commitAll("re-encrypted, all")
	if used := keyFiles(gs); len(used) != 1 || used[keys.Fingerprint(newR)] != storyFiles+1 {
		t.Fatalf("status.decryptionKeys = %v, want the new key only", gs.Status.DecryptionKeys)
	}
	s.seal("keys", "retire", keys.Fingerprint(oldR), "--secret", s.ns+"/"+keyring.DefaultSecretName, "--yes")
	s.eventually(30*time.Second, "the agent publishes the new key alone", func() (bool, error) {
		var cm corev1.ConfigMap
		err := kube.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: keyring.PublicKeyConfigMap}, &cm)
		return err == nil && cm.Data[keyring.RecipientsKey] == newR+"\n", err
	})

	// The key Secret deleted during a sync: nothing lost.
	backup := s.keySecret()
	sha = s.deleteDuringSync(backup, "a change, synced while the key Secret is deleted", s.sealedFor(storyFiles+1, newR))
	s.waitApplied("apps", sha)
	var restored corev1.Secret
	s.eventually(30*time.Second, "the key Secret restored", func() (bool, error) {
		err := kube.Client.Get(s.ctx, client.ObjectKeyFromObject(backup), &restored)
		return err == nil, client.IgnoreNotFound(err)
	})
	if restored.UID == backup.UID || !sameData(restored.Data, backup.Data) {
		t.Errorf("the key Secret was not re-created with the same identities (same object %v, data equal %v)",
			restored.UID == backup.UID, sameData(restored.Data, backup.Data))
	}
	s.eventually(30*time.Second, "a KeySecretRestored Warning event", func() (bool, error) {
		return s.keyEvent("KeySecretRestored", corev1.EventTypeWarning), nil
	})
	if !strings.Contains(s.agent.Output(), "the agent key Secret was deleted; restored it") {
		t.Error("the agent's log does not say the key Secret was restored")
	}
	if got := s.metric(`seal_agent_key_secret_restores_total{outcome="restored"}`); got != "1" {
		t.Errorf("seal_agent_key_secret_restores_total{outcome=\"restored\"} = %q, want 1", got)
	}
	s.noFailedSync()

	// Restarted while the key Secret is gone: no fresh key, a clear error.
	s.stopAgent()
	if err := kube.Client.Delete(s.ctx, restored.DeepCopy()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	refused, err := harness.Run(ctx, harness.Command{Path: bin.Agent, Args: s.agentArgs(), Dir: s.dir})
	if err != nil {
		t.Fatal(err)
	}
	if refused.ExitCode != 1 || !strings.Contains(refused.Stderr, "the agent key Secret "+s.ns+"/"+keyring.DefaultSecretName+" is missing") ||
		!strings.Contains(refused.Stderr, keys.Fingerprint(newR)) || !strings.Contains(refused.Stderr, "--generate-key") {
		t.Errorf("agent started without its key Secret: exit %d\n%s", refused.ExitCode, tail(refused.Stderr))
	}
	if err := kube.Client.Get(s.ctx, client.ObjectKeyFromObject(backup), &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused start created a key Secret (get: %v)", err)
	}

	// The Secret back from the backup: the agent starts, a sync succeeds.
	fromBackup := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: backup.Namespace, Name: backup.Name, Labels: backup.Labels}, Data: backup.Data}
	if err := kube.Client.Create(s.ctx, fromBackup); err != nil {
		t.Fatal(err)
	}
	s.startAgent("--metrics-bind-address", s.metrics, "--log-level", "debug")
	gs = s.commitFilesApplied("after the restart", s.sealedFor(storyFiles+2, newR))
	if s.secretData(fmt.Sprintf("s%03d", storyFiles+2))["password"] == "" || len(keyFiles(gs)) != 1 {
		t.Errorf("the sync after the restart: decryptionKeys %v", gs.Status.DecryptionKeys)
	}
	t.Logf("the story took %s", time.Since(start).Round(time.Second))
}

// deleteDuringSync commits files, asks for a sync, deletes the key Secret
// as soon as the agent logs that the sync started, and fails the test
// unless that sync had not finished when the Secret was gone. It returns
// the commit.
func (s *story) deleteDuringSync(secret *corev1.Secret, msg string, files map[string][]byte) string {
	s.t.Helper()
	started := strings.Count(s.agent.Output(), `"msg":"sync started"`)
	sha := s.commitFiles(msg, files)
	for deadline := time.Now().Add(30 * time.Second); strings.Count(s.agent.Output(), `"msg":"sync started"`) == started; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("no sync of %s started within 30s", sha[:8])
		}
	}
	if err := kube.Client.Delete(s.ctx, secret.DeepCopy()); err != nil {
		s.t.Fatal(err)
	}
	if gs := s.get("apps"); gs.Status.LastAppliedRevision == sha {
		s.t.Fatalf("the sync of %s finished before the key Secret was deleted", sha[:8])
	}
	return sha
}

func newStory(t *testing.T) *story {
	t.Helper()
	metrics := freeAddr(t)
	e := newEnv(t, "--metrics-bind-address", metrics, "--log-level", "debug")
	s := &story{env: e, work: e.repo.Dir(), metrics: metrics}
	id, err := keys.Generate(keys.X25519)
	if err != nil {
		t.Fatal(err)
	}
	s.teamR = id.Recipient()
	s.teamFile = filepath.Join(e.dir, "team.agekey")
	if err := os.WriteFile(s.teamFile, id.MarshalText(time.Now()), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// agentArgs are newEnv's agent flags (for a start that is expected to fail).
func (s *story) agentArgs() []string {
	return []string{"--kubeconfig", kube.Kubeconfig, "--namespace", s.ns, "--agent-namespace", s.ns,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--webhook-bind-address", "0",
		"--data-dir", filepath.Join(s.dir, "data"), "--log-format", "json"}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeRule writes the repository's .sops.yaml: apps/ for recipients.
func (s *story) writeRule(recipients ...string) {
	s.write(map[string][]byte{".sops.yaml": []byte("creation_rules:\n  - path_regex: ^apps/\n    age: " + strings.Join(recipients, ",") + "\n")})
}

func (s *story) write(files map[string][]byte) {
	s.t.Helper()
	for name, content := range files {
		p := filepath.Join(s.work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}

// sealExit runs the built seal in the work tree and wants exit code.
func (s *story) sealExit(code int, args ...string) harness.Result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	res, err := harness.Run(ctx, harness.Command{Path: bin.Seal, Args: args, Dir: s.work, Env: []string{"KUBECONFIG=" + kube.Kubeconfig}})
	if err != nil {
		s.t.Fatalf("seal %s: %v", strings.Join(args, " "), err)
	}
	if res.ExitCode != code {
		s.t.Fatalf("seal %s: exit %d, want %d\n%s%s", strings.Join(args, " "), res.ExitCode, code, tail(res.Stdout), tail(res.Stderr))
	}
	return res
}

func (s *story) seal(args ...string) harness.Result { s.t.Helper(); return s.sealExit(0, args...) }

// commitAll commits the work tree, asks for a sync and waits until it is
// applied.
func (s *story) commitAll(msg string) *v1alpha1.GitSync {
	s.t.Helper()
	sha, err := s.repo.CommitAll(msg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.syncNow()
	return s.waitApplied("apps", sha)
}

func (s *story) commitFiles(msg string, files map[string][]byte) string {
	s.t.Helper()
	s.write(files)
	sha, err := s.repo.CommitAll(msg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.syncNow()
	return sha
}

func (s *story) commitFilesApplied(msg string, files map[string][]byte) *v1alpha1.GitSync {
	s.t.Helper()
	return s.waitApplied("apps", s.commitFiles(msg, files))
}

// sealedFor is Secret i sealed with the built seal for r and the team.
func (s *story) sealedFor(i int, r string) map[string][]byte {
	s.t.Helper()
	m, v := rotationSecret(s.ns, i)
	s.secrets = append(s.secrets, v)
	name := fmt.Sprintf("apps/s%03d.yaml", i)
	s.write(map[string][]byte{name: []byte(m)})
	s.seal("encrypt", "-i", "-r", r, "-r", s.teamR, name)
	return map[string][]byte{name: s.read(name)}
}

func (s *story) read(name string) []byte {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.work, filepath.FromSlash(name)))
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

// snapshot maps each file under apps/ to its content. A seal command
// running meanwhile writes each file to a temporary file beside it and
// renames it over the file: those are left out (tempFiles finds any that
// outlive the command).
func (s *story) snapshot() map[string]string {
	s.t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.work, "apps"))
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if isTempFile(e.Name()) {
			continue
		}
		out[e.Name()] = string(s.read("apps/" + e.Name()))
	}
	return out
}

// isTempFile reports whether name is one of internal/atomicfile's
// temporary files (".NAME.tmp-N").
func isTempFile(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// tempFiles lists the temporary files left under apps/.
func (s *story) tempFiles() []string {
	s.t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.work, "apps"))
	if err != nil {
		s.t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if isTempFile(e.Name()) {
			left = append(left, e.Name())
		}
	}
	return left
}

func (s *story) changedSince(before map[string]string) []string {
	var changed []string
	for name, content := range s.snapshot() {
		if before[name] != content {
			changed = append(changed, name)
		}
	}
	return changed
}

// rotateKilledHalfway runs seal keys rotate with its standard output on a
// pipe of one page that nobody reads: once the pipe is full, seal blocks
// on its next line, part of the files rotated. It is then killed (SIGKILL,
// no chance to clean up); the number of rotated files is returned.
func (s *story) rotateKilledHalfway(before map[string]string) int {
	s.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		s.t.Fatal(err)
	}
	defer r.Close()
	const fSetPipeSz = 1031 // F_SETPIPE_SZ on Linux
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, 4096); errno != 0 {
		s.t.Fatalf("shrinking the pipe: %v", errno)
	}
	cmd := exec.Command(bin.Seal, "keys", "rotate", "--identity", s.teamFile, "apps")
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.work, w, io.Discard
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.dir}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	n, stableSince := -1, time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			s.t.Fatalf("seal keys rotate finished (%v) before it was interrupted", err)
		default:
		}
		if c := len(s.changedSince(before)); c != n {
			n, stableSince = c, time.Now()
		} else if n > 0 && time.Since(stableSince) > time.Second {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	<-exited
	// Killed while blocked on its output, between two files: no file is
	// half written.
	if left := s.tempFiles(); len(left) != 0 {
		s.t.Errorf("temporary files left by the killed rotate: %v", left)
	}
	done := len(s.changedSince(before))
	if done == 0 || done >= storyFiles {
		s.t.Fatalf("seal keys rotate was killed after %d of %d files, want halfway", done, storyFiles)
	}
	s.t.Logf("seal keys rotate killed after %d of %d files", done, storyFiles)
	return done
}

// checkConsistent checks that every file under apps/ is wrapped either for
// the old rule or the new one, and opens with the team's key to its value;
// it returns how many are for the new rule.
func (s *story) checkConsistent(oldR, newR string) int {
	s.t.Helper()
	data, err := os.ReadFile(s.teamFile)
	if err != nil {
		s.t.Fatal(err)
	}
	ring, err := keys.ParseIdentities("team", data)
	if err != nil {
		s.t.Fatal(err)
	}
	oldSet, newSet := sortedOf(oldR, s.teamR), sortedOf(newR, s.teamR)
	n := 0
	for name, content := range s.snapshot() {
		md, err := crypto.Inspect(name, []byte(content))
		if err != nil {
			s.t.Errorf("%s: %v", name, err)
			continue
		}
		got := sortedOf(md.Recipients...)
		switch {
		case slices.Equal(got, newSet):
			n++
		case !slices.Equal(got, oldSet):
			s.t.Errorf("%s is wrapped for %d recipients, neither the old rule's nor the new one's", name, len(got))
		}
		if _, err := crypto.Decrypt(name, []byte(content), ring.AgeIdentities()); err != nil {
			s.t.Errorf("%s does not open with the team key: %v", name, err)
		}
	}
	return n
}

func sortedOf(rs ...string) []string {
	out := slices.Clone(rs)
	slices.Sort(out)
	return out
}

// keyFiles maps each key's fingerprint to the files it opened.
func keyFiles(gs *v1alpha1.GitSync) map[string]int32 {
	out := map[string]int32{}
	for _, k := range gs.Status.DecryptionKeys {
		out[k.Fingerprint] = k.Files
	}
	return out
}

func (s *story) keySecret() *corev1.Secret {
	s.t.Helper()
	var secret corev1.Secret
	if err := kube.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: keyring.DefaultSecretName}, &secret); err != nil {
		s.t.Fatal(err)
	}
	return &secret
}

func sameData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if string(b[k]) != string(v) {
			return false
		}
	}
	return true
}

// keyEvent reports whether an event of reason and type regards the key
// Secret.
func (s *story) keyEvent(reason, typ string) bool {
	s.t.Helper()
	var evs eventsv1.EventList
	if err := kube.Client.List(s.ctx, &evs, client.InNamespace(s.ns)); err != nil {
		s.t.Fatal(err)
	}
	for _, ev := range evs.Items {
		if ev.Reason == reason && ev.Type == typ && ev.Regarding.Name == keyring.DefaultSecretName {
			return true
		}
	}
	return false
}

// noFailedSync fails the test if any Warning event regards the GitSync.
func (s *story) noFailedSync() {
	s.t.Helper()
	var evs eventsv1.EventList
	if err := kube.Client.List(s.ctx, &evs, client.InNamespace(s.ns)); err != nil {
		s.t.Fatal(err)
	}
	for _, ev := range evs.Items {
		if ev.Regarding.Kind == "GitSync" && ev.Type == corev1.EventTypeWarning {
			s.t.Errorf("a sync failed: %s: %s", ev.Reason, ev.Note)
		}
	}
}

// metric reads one sample's value from the agent's metrics endpoint.
func (s *story) metric(series string) string {
	s.t.Helper()
	resp, err := http.Get("http://" + s.metrics + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// gitCmd runs git in dir.
func gitCmd(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
