package agent_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusAPI stands in for GitHub's commit status endpoint.
type statusAPI struct {
	mu       sync.Mutex
	received []map[string]string // with "path" and "auth" added
}

func (a *statusAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	json.NewDecoder(r.Body).Decode(&body)
	body["path"], body["auth"] = r.URL.Path, r.Header.Get("Authorization")
	a.mu.Lock()
	a.received = append(a.received, body)
	a.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

func (a *statusAPI) find(sha, state string) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.received {
		if strings.HasSuffix(s["path"], "/statuses/"+sha) && s["state"] == state {
			return s
		}
	}
	return nil
}

func TestCommitStatusIsReportedToTheGitHost(t *testing.T) {
	// The test's API server listens on loopback, which the agent refuses
	// unless allowed.
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8")
	api := &statusAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "github-token", Namespace: e.ns},
		StringData: map[string]string{"token": "ghp-test-token"}}
	if err := kube.Client.Create(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	good := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "github", APIURL: srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: token.Name}}
	})
	e.waitApplied("apps", good)
	e.eventually(10*time.Second, "a success status on "+good[:8], func() (bool, error) { return api.find(good, "success") != nil, nil })
	s := api.find(good, "success")
	if s["context"] != "seal/"+e.ns+"/apps" || s["auth"] != "Bearer ghp-test-token" || !strings.HasPrefix(s["path"], "/repos/") {
		t.Errorf("status = %v", s)
	}

	bad := e.commit("broken", map[string][]byte{"broken.yaml": []byte("kind: [\n")})
	e.waitFailed("apps", v1alpha1.ReasonRenderFailed)
	e.eventually(10*time.Second, "a failure status on "+bad[:8], func() (bool, error) { return api.find(bad, "failure") != nil, nil })
	if d := api.find(bad, "failure")["description"]; !strings.Contains(d, "RenderFailed") {
		t.Errorf("failure description %q does not give the reason", d)
	}
	if strings.Contains(e.agent.Output(), "ghp-test-token") {
		t.Error("the API token appears in the agent's output")
	}
}
