package agent_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// alertReceiver stands in for Slack, Teams and a generic receiver: it
// records every request's path and body.
type alertReceiver struct {
	mu       sync.Mutex
	received []receivedAlert
}

type receivedAlert struct {
	Path, ContentType, Body string
}

func (a *alertReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	a.mu.Lock()
	a.received = append(a.received, receivedAlert{r.URL.Path, r.Header.Get("Content-Type"), string(body)})
	a.mu.Unlock()
}

func (a *alertReceiver) all() []receivedAlert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]receivedAlert(nil), a.received...)
}

// count is how many alerts reached path whose body holds text.
func (a *alertReceiver) count(path, text string) int {
	n := 0
	for _, r := range a.all() {
		if r.Path == path && strings.Contains(r.Body, text) {
			n++
		}
	}
	return n
}

// TestAlertsOnReadyTransitions: with a Slack, a Teams and a generic
// target, the built agent sends each exactly one alert when a commit the
// API server refuses (a sealed value inside) breaks the GitSync, and one
// when the next commit fixes it; none for the first successful sync, nor
// for resyncs that change nothing, failing or not. Every payload is
// searched for every sealed value of the repository in every escaped
// form; the targets' URLs appear nowhere in the agent's log. seal history
// then shows the three revisions from the real API server.
func TestAlertsOnReadyTransitions(t *testing.T) {
	t.Parallel()
	const dockerPlain = `docker-auth-"7b0e\d1`
	s := newSealEnv(t, "--allowed-networks", "127.0.0.0/8", "--log-level", "debug")
	rcv := &alertReceiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	paths := map[string]string{
		v1alpha1.AlertSlack:   "/slack/T000/B000/hooksecret1",
		v1alpha1.AlertTeams:   "/teams/workflows/hooksecret2",
		v1alpha1.AlertGeneric: "/generic/hooksecret3",
	}
	var alerts []v1alpha1.Alert
	for typ, path := range paths {
		hook := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-" + typ, Namespace: s.ns},
			StringData: map[string]string{"address": srv.URL + path}}
		if err := kube.Client.Create(s.ctx, hook); err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, v1alpha1.Alert{Type: typ, SecretRef: v1alpha1.LocalObjectReference{Name: hook.Name}})
	}
	s.afterStop = append(s.afterStop, func() {
		got := rcv.all()
		for _, secret := range s.secrets {
			for _, form := range leakForms(secret) {
				forms := []string{form, slackEscaper.Replace(form)}
				for _, r := range got {
					for _, form := range forms {
						if strings.Contains(r.Body, form) {
							t.Errorf("a secret value leaked into the %s alert (as %q)", r.Path, form)
						}
					}
				}
			}
		}
		for _, path := range paths {
			if strings.Contains(s.agent.Output(), path) {
				t.Errorf("the agent's log shows the webhook URL %s", path)
			}
		}
	})

	s.start(func(gs *v1alpha1.GitSync) { gs.Spec.Alerts = alerts })
	resync := func(msg string) {
		t.Helper()
		time.Sleep(300 * time.Millisecond)
		before := strings.Count(s.agent.Output(), `"msg":"`+msg+`"`)
		s.syncNow()
		s.eventually(30*time.Second, "a resync ("+msg+")", func() (bool, error) {
			return strings.Count(s.agent.Output(), `"msg":"`+msg+`"`) > before, nil
		})
	}
	resync("synced")
	time.Sleep(500 * time.Millisecond)
	if got := rcv.all(); len(got) != 0 {
		t.Fatalf("alerts after the first sync and a resync, want none: %v", got)
	}

	manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nstringData:\n" +
		"  .dockerconfigjson: '{\"auths\": {\"r.example\": " + dockerPlain + "'\n"
	broken := s.commit("add a registry credential the API server refuses", map[string][]byte{
		"apps/kustomization.yaml": s.kustomization("", append(baseResources, "regcred.yaml")...),
		"apps/regcred.yaml":       s.seal(manifest, dockerPlain),
	})
	s.waitFailed("apps", v1alpha1.ReasonApplyFailed)
	for typ, path := range paths {
		s.eventually(15*time.Second, "a "+typ+" alert of the failure", func() (bool, error) {
			return rcv.count(path, "is failing: ApplyFailed") == 1, nil
		})
	}
	resync("sync failed") // still failing, well within the hour's interval
	time.Sleep(500 * time.Millisecond)
	if got := len(rcv.all()); got != 3 {
		t.Fatalf("%d alerts after the failure and a failing resync, want 3 (one per target)", got)
	}

	fixed := s.commit("drop the registry credential", map[string][]byte{
		"apps/kustomization.yaml": s.kustomization("", baseResources...),
		"apps/regcred.yaml":       nil,
	})
	s.waitApplied("apps", fixed)
	for typ, path := range paths {
		s.eventually(15*time.Second, "a "+typ+" alert of the recovery", func() (bool, error) {
			return rcv.count(path, "recovered") == 1, nil
		})
	}
	resync("synced")
	time.Sleep(500 * time.Millisecond)
	got := rcv.all()
	if len(got) != 6 {
		t.Fatalf("%d alerts in all, want 6 (failing and recovered, per target): %v", len(got), got)
	}
	for _, r := range got {
		var body map[string]any
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.ContentType != "application/json" {
			t.Errorf("%s: content type %q, body not JSON (%v): %s", r.Path, r.ContentType, err, r.Body)
		}
	}
	for _, r := range got {
		if r.Path == paths[v1alpha1.AlertGeneric] && strings.Contains(r.Body, `"kind": "Failing"`) {
			var g struct{ Revision, Author, Subject, Reason string }
			json.Unmarshal([]byte(r.Body), &g)
			if g.Revision != broken || g.Author != "Seal Test" || g.Subject != "add a registry credential the API server refuses" || g.Reason != v1alpha1.ReasonApplyFailed {
				t.Errorf("generic Failing alert: %+v, want revision %s by Seal Test", g, broken[:8])
			}
		}
	}

	// The history the agent wrote, through the built seal.
	h := s.get("apps").Status.History
	if len(h) != 3 || h[0].Revision != fixed || h[1].Revision != broken || h[1].Outcome != v1alpha1.OutcomeFailed ||
		h[1].Reason != v1alpha1.ReasonApplyFailed || h[2].Revision != s.good || h[2].Counts == nil || h[2].Counts.Created != 3 {
		t.Errorf("status.history = %+v, want fixed, broken (Failed), good (3 created)", h)
	}
	res := s.runSealCmd("history", "gitsync", "apps", "-n", s.ns, "--kubeconfig", kube.Kubeconfig)
	for _, want := range []string{"REVISION", fixed[:12] + " ", broken[:12] + " ", "Failed", "ApplyFailed", "Seal Test", "drop the registry credential"} {
		if !strings.Contains(res, want) {
			t.Errorf("seal history does not show %q:\n%s", want, res)
		}
	}
}

// slackEscaper is how Slack payloads escape &, < and >.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// runSealCmd runs the built seal with args and returns its stdout,
// failing the test unless it exits 0.
func (s *sealEnv) runSealCmd(args ...string) string {
	s.t.Helper()
	res, err := harness.Run(s.ctx, harness.Command{Path: bin.Seal, Args: args, Dir: s.dir})
	if err != nil || res.ExitCode != 0 {
		s.t.Fatalf("seal %s: %v (exit %d): %s", strings.Join(args, " "), err, res.ExitCode, res.Stderr)
	}
	return res.Stdout
}

// TestAlertSecretsAreReadAsTheGitSyncsServiceAccount: in tenant mode a
// GitSync's alert Secrets are read as its service account, so a Secret
// that account may not read sends nothing and shows as an AlertFailed
// event, while the target it may read gets the alert.
func TestAlertSecretsAreReadAsTheGitSyncsServiceAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8")
	e.deployer("deployer", "tenant-git", "hook-allowed")
	rcv := &alertReceiver{}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	for _, name := range []string{"allowed", "denied"} {
		hook := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hook-" + name, Namespace: e.ns},
			StringData: map[string]string{"address": srv.URL + "/" + name}}
		if err := kube.Client.Create(e.ctx, hook); err != nil {
			t.Fatal(err)
		}
	}
	sha := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("tenant", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.ServiceAccountName = "deployer"
		gs.Spec.Alerts = []v1alpha1.Alert{
			{Type: v1alpha1.AlertGeneric, SecretRef: v1alpha1.LocalObjectReference{Name: "hook-allowed"}},
			{Type: v1alpha1.AlertGeneric, SecretRef: v1alpha1.LocalObjectReference{Name: "hook-denied"}},
		}
	})
	e.waitApplied("tenant", sha)
	e.commit("broken", map[string][]byte{"broken.yaml": []byte("kind: [\n")})
	e.waitFailed("tenant", v1alpha1.ReasonRenderFailed)
	e.eventually(15*time.Second, "the alert to the allowed target", func() (bool, error) {
		return rcv.count("/allowed", `"kind": "Failing"`) == 1, nil
	})
	e.eventually(15*time.Second, "an AlertFailed event", func() (bool, error) {
		return e.eventNote("AlertFailed") != "", nil
	})
	note := e.eventNote("AlertFailed")
	if !strings.Contains(note, "spec.alerts[1].secretRef") || !strings.Contains(note, "forbidden") || !strings.Contains(note, "ServiceAccount deployer") {
		t.Errorf("AlertFailed note %q, want it to name spec.alerts[1].secretRef as forbidden to ServiceAccount deployer", note)
	}
	time.Sleep(500 * time.Millisecond)
	if n := rcv.count("/denied", ""); n != 0 {
		t.Errorf("%d alerts reached the target whose Secret the service account may not read", n)
	}
}
