package agent_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusAPI stands in for GitHub's commit status endpoint. It can answer
// 503 (down) or stop listening altogether (closed), and come back on the
// same address.
type statusAPI struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	received []map[string]string // with "path", "auth" and "sha" added
	down     bool
	srv      *http.Server
}

func newStatusAPI(t *testing.T) *statusAPI {
	a := &statusAPI{t: t, addr: "127.0.0.1:0"}
	a.listen()
	t.Cleanup(a.close)
	return a
}

func (a *statusAPI) URL() string { return "http://" + a.addr }

func (a *statusAPI) listen() {
	a.t.Helper()
	l, err := net.Listen("tcp", a.addr)
	if err != nil {
		a.t.Fatal(err)
	}
	a.addr = l.Addr().String()
	a.srv = &http.Server{Handler: a}
	go a.srv.Serve(l)
}

// close stops listening: connections are refused.
func (a *statusAPI) close() { a.srv.Close() }

func (a *statusAPI) setDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

func (a *statusAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	json.NewDecoder(r.Body).Decode(&body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	body["path"], body["auth"] = r.URL.Path, r.Header.Get("Authorization")
	body["sha"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	a.received = append(a.received, body)
	w.WriteHeader(http.StatusCreated)
}

func (a *statusAPI) find(sha, state string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.received {
		if s["sha"] == sha && s["state"] == state {
			return s
		}
	}
	return nil
}

// states lists the states posted on sha, in order.
func (a *statusAPI) states(sha string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, s := range a.received {
		if s["sha"] == sha {
			out = append(out, s["state"])
		}
	}
	return out
}

func (e *env) waitStatus(api *statusAPI, sha, state string) map[string]string {
	e.t.Helper()
	e.eventually(60*time.Second, fmt.Sprintf("a %s status on %s", state, sha[:8]), func() (bool, error) { return api.find(sha, state) != nil, nil })
	return api.find(sha, state)
}

// githubStatuses points the GitSync's commit statuses at api.
func githubStatuses(api *statusAPI, token string) func(*v1alpha1.GitSync) {
	return func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "github", APIURL: api.URL(), SecretRef: v1alpha1.LocalObjectReference{Name: token}}
	}
}

func (e *env) commitStatusCondition(name string) *metav1.Condition {
	return meta.FindStatusCondition(e.get(name).Status.Conditions, v1alpha1.ConditionCommitStatusReported)
}

func TestCommitStatusIsReportedToTheGitHost(t *testing.T) {
	t.Parallel()
	// The test's API server listens on loopback, which the agent refuses
	// unless allowed.
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8", "--cluster-name", "prod-eu")
	api := newStatusAPI(t)
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "github-token", Namespace: e.ns},
		StringData: map[string]string{"token": "ghp-test-token"}}
	if err := kube.Client.Create(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	good := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", time.Hour, githubStatuses(api, token.Name))
	e.waitApplied("apps", good)
	s := e.waitStatus(api, good, "success")
	if got := api.states(good); fmt.Sprint(got) != "[pending success]" {
		t.Errorf("states on %s: %v, want pending then success", good[:8], got)
	}
	if s["context"] != "seal/prod-eu/"+e.ns+"/apps" || s["auth"] != "Bearer ghp-test-token" || !strings.HasPrefix(s["path"], "/repos/") {
		t.Errorf("status = %v", s)
	}
	if c := e.commitStatusCondition("apps"); c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonPosted {
		t.Errorf("CommitStatusReported = %+v, want True Posted", c)
	}

	bad := e.commit("broken", map[string][]byte{"broken.yaml": []byte("kind: [\n")})
	e.waitFailed("apps", v1alpha1.ReasonRenderFailed)
	if d := e.waitStatus(api, bad, "failure")["description"]; !strings.Contains(d, "RenderFailed") {
		t.Errorf("failure description %q does not give the reason", d)
	}
	if got := api.states(bad); fmt.Sprint(got) != "[pending failure]" {
		t.Errorf("states on %s: %v, want pending then failure", bad[:8], got)
	}
	if strings.Contains(e.agent.Output(), "ghp-test-token") {
		t.Error("the API token appears in the agent's output")
	}
}

// TestANewerPushSupersedesARevisionStillWaitingForHealth: the first
// revision's Deployment never becomes available (no controller runs here);
// a second push arrives while the agent waits for it. The wait is cut
// short, the first revision's status becomes a final "error" saying
// superseded by the second, and the second gets pending then success.
func TestANewerPushSupersedesARevisionStillWaitingForHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8")
	api := newStatusAPI(t)
	e.tokenSecret(e.ns, "status-token", "tok")
	first := e.commit("web", map[string][]byte{"apps/web.yaml": deploymentNamed("web")})
	e.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		waitWithHealth(5 * time.Minute)(gs)
		githubStatuses(api, "status-token")(gs)
	})
	e.waitStatus(api, first, "pending")
	e.eventually(30*time.Second, "the health wait", func() (bool, error) {
		c := meta.FindStatusCondition(e.get("apps").Status.Conditions, v1alpha1.ConditionReconciling)
		return c != nil && c.Reason == v1alpha1.ReasonProgressing, nil
	})
	start := time.Now()
	second := e.commit("config instead", map[string][]byte{"apps/web.yaml": nil, "apps/config.yaml": configMap("web-config", "hello")})
	e.waitApplied("apps", second)
	if took := time.Since(start); took > time.Minute {
		t.Errorf("the second revision was applied %s after its push: the first one's wait was not cut short", took)
	}
	s := e.waitStatus(api, first, "error")
	if want := "superseded by " + second[:12]; !strings.Contains(s["description"], want) {
		t.Errorf("the first revision's final status says %q, want %q", s["description"], want)
	}
	e.waitStatus(api, second, "success")
	if got := api.states(first); fmt.Sprint(got) != "[pending error]" {
		t.Errorf("states on the first revision: %v, want pending then error", got)
	}
	if got := api.states(second); fmt.Sprint(got) != "[pending success]" {
		t.Errorf("states on the second revision: %v, want pending then success", got)
	}
	if e.configMapExists("web-config") == false {
		t.Error("the second revision's ConfigMap is missing")
	}
}

// TestAGitHostThatIsDownNeverFailsTheSync: the status API answers 503,
// then stops listening; the syncs stay Ready, CommitStatusReported says
// what failed, and once the API is back each revision's final state is
// posted without a new commit (the next sync comes within the interval).
func TestAGitHostThatIsDownNeverFailsTheSync(t *testing.T) {
	t.Parallel()
	metrics := freeAddr(t)
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8", "--metrics-bind-address", metrics)
	api := newStatusAPI(t)
	e.tokenSecret(e.ns, "status-token", "tok")
	first := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "one")})
	e.createGitSync("apps", 15*time.Second, githubStatuses(api, "status-token"))
	e.waitApplied("apps", first)
	e.waitStatus(api, first, "success")

	api.setDown(true)
	second := e.commit("two", map[string][]byte{"config.yaml": configMap("web-config", "two")})
	e.waitApplied("apps", second)
	e.eventually(60*time.Second, "CommitStatusReported=False PostFailed (503)", func() (bool, error) {
		c := e.commitStatusCondition("apps")
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == v1alpha1.ReasonPostFailed && strings.Contains(c.Message, "503"), nil
	})

	if n := commitStatusFailures(t, metrics, e.ns); n < 1 {
		t.Errorf("seal_commit_status_failures_total for PostFailed = %v, want at least 1", n)
	}

	api.close()
	api.setDown(false)
	third := e.commit("three", map[string][]byte{"config.yaml": configMap("web-config", "three")})
	e.waitApplied("apps", third)
	e.eventually(60*time.Second, "CommitStatusReported=False PostFailed (connection refused)", func() (bool, error) {
		c := e.commitStatusCondition("apps")
		return c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "refused"), nil
	})
	if c := meta.FindStatusCondition(e.get("apps").Status.Conditions, v1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %+v while the Git host is down, want True", c)
	}

	api.listen() // back, on the same address
	e.waitStatus(api, second, "success")
	e.waitStatus(api, third, "success")
	e.eventually(60*time.Second, "CommitStatusReported=True", func() (bool, error) {
		c := e.commitStatusCondition("apps")
		return c != nil && c.Status == metav1.ConditionTrue, nil
	})
	for _, sha := range []string{second, third} {
		for _, st := range api.states(sha) {
			if st == "pending" {
				t.Errorf("revision %s, applied while the host was down, got a pending status afterwards: %v", sha[:8], api.states(sha))
			}
		}
	}
}

// commitStatusFailures reads seal_commit_status_failures_total of the
// GitSync apps in ns, reason PostFailed, from the agent's metrics.
func commitStatusFailures(t *testing.T, addr, ns string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, "seal_commit_status_failures_total{") && strings.Contains(line, `namespace="`+ns+`"`) &&
			strings.Contains(line, `name="apps"`) && strings.Contains(line, `reason="PostFailed"`) {
			v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}
