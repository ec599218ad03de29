package agent_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// recorder is an HTTP server that records every request reaching it.
type recorder struct {
	srv  *httptest.Server
	reqs chan string
}

// newRecorder listens on addr (host:port), e.g. "127.0.0.2:0".
func newRecorder(t *testing.T, addr string) *recorder {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{reqs: make(chan string, 100)}
	r.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.reqs <- req.Method + " " + req.URL.Path + " auth=" + req.Header.Get("Authorization")
		w.WriteHeader(http.StatusCreated)
	})}}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) received() []string {
	var out []string
	for {
		select {
		case s := <-r.reqs:
			out = append(out, s)
		default:
			return out
		}
	}
}

// tokenSecret creates a commit status token Secret in ns.
func (e *env) tokenSecret(ns, name, token string) {
	e.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, StringData: map[string]string{"token": token}}
	if err := kube.Client.Create(e.ctx, s); err != nil {
		e.t.Fatal(err)
	}
}

func TestATokenIsNeverSentToAHostOutsideTheRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "--allowed-networks", "127.0.0.0/8")
	elsewhere := newRecorder(t, "127.0.0.2:0") // not the git host, 127.0.0.1
	e.tokenSecret(e.ns, "status-token", "tok-not-for-elsewhere")
	e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "gitea", APIURL: elsewhere.srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: "status-token"}}
	})
	msg := e.waitFailed("apps", v1alpha1.ReasonOutboundHostRefused)
	if !strings.Contains(msg, "API host 127.0.0.2 is not the repository's host 127.0.0.1") || !strings.Contains(msg, "--commit-status-hosts") {
		t.Errorf("Ready message %q does not say which host was refused and how to allow it", msg)
	}
	if e.configMapExists("web-config") {
		t.Error("a GitSync refused for its hosts applied its objects")
	}
	time.Sleep(2 * time.Second)
	if got := elsewhere.received(); len(got) != 0 {
		t.Errorf("the host outside the rules received %q", got)
	}
	if strings.Contains(e.agent.Output(), "tok-not-for-elsewhere") {
		t.Error("the token appears in the agent's output")
	}
}

func TestLoopbackAndMetadataAddressesAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // no --allowed-networks
	local := newRecorder(t, "127.0.0.1:0")
	e.tokenSecret(e.ns, "status-token", "tok-not-for-loopback")
	sha := e.commit("app", map[string][]byte{"config.yaml": configMap("web-config", "hello")})
	e.createGitSync("statuses", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "gitea", APIURL: local.srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: "status-token"}}
	})
	msg := e.waitFailed("statuses", v1alpha1.ReasonOutboundHostRefused)
	if !strings.Contains(msg, "127.0.0.1 is a loopback address") || !strings.Contains(msg, "--allowed-networks") {
		t.Errorf("Ready message %q does not say loopback is refused and how to allow it", msg)
	}
	// A Git URL on a metadata address is refused before any request.
	e.createGitSync("metadata", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.URL = "http://169.254.169.254/latest/meta-data.git" })
	msg = e.waitFailed("metadata", v1alpha1.ReasonOutboundHostRefused)
	if !strings.Contains(msg, "spec.url") || !strings.Contains(msg, "169.254.169.254 is a cloud metadata address") {
		t.Errorf("Ready message %q does not refuse the metadata address", msg)
	}
	if got := local.received(); len(got) != 0 {
		t.Errorf("the loopback server received %q", got)
	}
	// Git itself may use loopback (the agent's own pod): a GitSync without
	// a commit status syncs from the test's git server on 127.0.0.1.
	e.createGitSync("plain", time.Hour, nil)
	e.waitApplied("plain", sha)
}

func TestTwoTenantsOnOneAgent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	nsB := e.namespace("e2e-b")
	// One agent for both tenants' namespaces.
	e.stopAgent()
	e.startAgent("--namespace", e.ns+","+nsB, "--allowed-networks", "127.0.0.0/8")
	e.deployer("deployer", "a-git", "a-token")
	e.deployerIn(nsB, "deployer", "b-git")
	elsewhere := newRecorder(t, "127.0.0.2:0")

	shaB := e.commit("b", map[string][]byte{"b/settings.yaml": configMap("settings", "from-b")})
	e.gitSyncIn(nsB, "b", func(gs *v1alpha1.GitSync) { gs.Spec.Path = "b"; gs.Spec.ServiceAccountName = "deployer" })
	e.eventually(60*time.Second, "b applied", func() (bool, error) {
		var gs v1alpha1.GitSync
		err := kube.Client.Get(ctx, client.ObjectKey{Namespace: nsB, Name: "b"}, &gs)
		return err == nil && gs.Status.LastAppliedRevision == shaB, err
	})
	var before corev1.ConfigMap
	if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: nsB, Name: "settings"}, &before); err != nil {
		t.Fatal(err)
	}
	checkB := func(what string) {
		t.Helper()
		var now corev1.ConfigMap
		if err := kube.Client.Get(ctx, client.ObjectKey{Namespace: nsB, Name: "settings"}, &now); err != nil {
			t.Fatalf("%s: b's object: %v", what, err)
		}
		if now.ResourceVersion != before.ResourceVersion || now.Data["greeting"] != "from-b" {
			t.Errorf("%s: b's object changed: greeting %q, resourceVersion %s → %s", what, now.Data["greeting"], before.ResourceVersion, now.ResourceVersion)
		}
	}

	// a writes into b's namespace, over b's object.
	intoB := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: " + nsB + "\ndata:\n  greeting: from-a\n")
	e.commit("a into b", map[string][]byte{"a/into-b.yaml": intoB, "a/own.yaml": configMap("a-own", "x")})
	e.createGitSync("a", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "a"; gs.Spec.ServiceAccountName = "deployer" })
	msg := e.waitFailed("a", v1alpha1.ReasonApplyFailed)
	if !strings.Contains(msg, "forbidden") || !strings.Contains(msg, "into-b.yaml") {
		t.Errorf("Ready message %q does not say writing into b's namespace is forbidden", msg)
	}
	checkB("apply into b's namespace")
	if e.configMapExists("a-own") {
		t.Error("part of a's refused revision was applied")
	}

	// a sends its token to a host outside the rules (set before the
	// commit that would apply, so no sync runs without it).
	e.tokenSecret(e.ns, "a-token", "tok-of-a")
	e.updateGitSync("a", func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "gitea", APIURL: elsewhere.srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: "a-token"}}
	})
	shaA := e.commit("a alone", map[string][]byte{"a/into-b.yaml": nil})
	e.waitFailed("a", v1alpha1.ReasonOutboundHostRefused)
	checkB("token to another host")
	if e.configMapExists("a-own") {
		t.Error("a GitSync refused for its hosts applied its objects")
	}

	// a names b's git credentials: its references stay in its namespace,
	// where no such Secret exists.
	e.updateGitSync("a", func(gs *v1alpha1.GitSync) {
		gs.Spec.CommitStatus = nil
		gs.Spec.SecretRef = &v1alpha1.LocalObjectReference{Name: "b-git"}
	})
	msg = e.waitFailed("a", v1alpha1.ReasonGitFetchFailed)
	if !strings.Contains(msg, e.ns+"/b-git") {
		t.Errorf("Ready message %q does not name the Secret looked up in a's namespace", msg)
	}
	checkB("b's credentials named")

	// a names b's decryption identities and b's status token: both are
	// looked up in a's namespace, as a's account, and refused.
	e.updateGitSync("a", func(gs *v1alpha1.GitSync) {
		gs.Spec.SecretRef = &v1alpha1.LocalObjectReference{Name: "a-git"}
		gs.Spec.Decryption = &v1alpha1.Decryption{SecretRef: &v1alpha1.LocalObjectReference{Name: "b-age-keys"}}
	})
	msg = e.waitFailed("a", v1alpha1.ReasonDecryptionFailed)
	if !strings.Contains(msg, e.ns+"/b-age-keys") || !strings.Contains(msg, "as ServiceAccount deployer") {
		t.Errorf("Ready message %q does not name the Secret read in a's namespace as a's account", msg)
	}
	checkB("b's decryption identities named")
	if e.configMapExists("a-own") {
		t.Error("a synced with decryption identities it may not read")
	}

	// a names b's commit-status token, with an API URL on the repository's
	// own host, which the rules allow: the token is looked up in a's
	// namespace as a's account and refused, so the sync goes on and no
	// status is sent with b's token.
	e.tokenSecret(nsB, "b-token", "tok-of-b")
	onGitHost := newRecorder(t, "127.0.0.1:0")
	e.updateGitSync("a", func(gs *v1alpha1.GitSync) {
		gs.Spec.Decryption = nil
		gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "gitea", APIURL: onGitHost.srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: "b-token"}}
	})
	e.waitApplied("a", shaA)
	var note string
	e.eventually(30*time.Second, "a CommitStatusFailed event", func() (bool, error) {
		note = e.eventNote("CommitStatusFailed")
		return note != "", nil
	})
	if !strings.Contains(note, e.ns+"/b-token") || !strings.Contains(note, "as ServiceAccount deployer") {
		t.Errorf("CommitStatusFailed event %q does not name the Secret read in a's namespace as a's account", note)
	}
	checkB("b's status token named")
	for _, got := range append(onGitHost.received(), elsewhere.received()...) {
		t.Errorf("a status request was sent: %q", got)
	}
	if strings.Contains(e.agent.Output(), "tok-of-b") || strings.Contains(e.agent.Output(), "tok-of-a") {
		t.Error("a token appears in the agent's output")
	}
}

// eventNote returns the note of the newest event with reason recorded for
// the namespace's GitSyncs, or "".
func (e *env) eventNote(reason string) string {
	e.t.Helper()
	var events eventsv1.EventList
	if err := kube.Client.List(e.ctx, &events, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	note := ""
	for _, ev := range events.Items {
		if ev.Reason == reason && ev.Regarding.Kind == "GitSync" {
			note = ev.Note
		}
	}
	return note
}

// gitSyncIn creates GitSync name in namespace ns over HTTP with its own
// credentials Secret (<name>-git), as createGitSync does in the test's
// namespace.
func (e *env) gitSyncIn(ns, name string, mutate func(*v1alpha1.GitSync)) {
	e.t.Helper()
	creds := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-git", Namespace: ns},
		StringData: map[string]string{"username": git.Username, "password": git.Password},
	}
	if err := kube.Client.Create(e.ctx, creds); err != nil {
		e.t.Fatal(err)
	}
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.GitSyncSpec{
			URL:       git.HTTPURL(e.repo.Name),
			Interval:  metav1.Duration{Duration: time.Hour},
			SecretRef: &v1alpha1.LocalObjectReference{Name: creds.Name},
		},
	}
	if mutate != nil {
		mutate(gs)
	}
	if err := kube.Client.Create(e.ctx, gs); err != nil {
		e.t.Fatal(err)
	}
}
