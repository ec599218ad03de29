package receiver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const (
	testNS    = "team"
	testToken = "0123456789abcdef-webhook-token"
)

// world is a fake cluster with one Receiver, its Secret and GitSyncs in
// its namespace and in another.
type world struct {
	t      *testing.T
	client client.Client
	rcv    *v1alpha1.Receiver
	srv    *Server
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) write(prefix, args string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(prefix + " " + args + "\n")
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func gitSync(ns, name, url string, mutate func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.GitSyncSpec{URL: url, Ref: v1alpha1.GitRef{Branch: "main"}},
	}
	if mutate != nil {
		mutate(gs)
	}
	return gs
}

// newWorld builds the fake cluster for provider; httpsURL and sshURL name
// the repository the testdata payloads push to, as a user would write
// them in a GitSync.
func newWorld(t *testing.T, provider v1alpha1.ReceiverProvider, httpsURL, sshURL string, opts *Options, mutate func(*v1alpha1.Receiver)) *world {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	rcv := &v1alpha1.Receiver{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "push", UID: types.UID("4f1f2f0e-8c1b-4b8e-9a51-1e0d2c3b4a59")},
		Spec:       v1alpha1.ReceiverSpec{Provider: provider, SecretRef: v1alpha1.LocalObjectReference{Name: "webhook-token"}},
	}
	if mutate != nil {
		mutate(rcv)
	}
	otherRepo := strings.Replace(httpsURL, "env", "other", 1)
	objs := []client.Object{
		rcv,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "webhook-token"}, Data: map[string][]byte{"token": []byte(testToken)}},
		gitSync(testNS, "match", httpsURL, func(gs *v1alpha1.GitSync) { gs.Labels = map[string]string{"app": "web"} }),
		gitSync(testNS, "match-ssh", sshURL, nil),
		gitSync(testNS, "other-branch", httpsURL, func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Branch: "staging"} }),
		gitSync(testNS, "other-repo", otherRepo, nil),
		gitSync(testNS, "tag", httpsURL, func(gs *v1alpha1.GitSync) { gs.Spec.Ref = v1alpha1.GitRef{Tag: "v1.0.0"} }),
		gitSync(testNS, "commit", httpsURL, func(gs *v1alpha1.GitSync) {
			gs.Spec.Ref = v1alpha1.GitRef{Commit: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}
		}),
		gitSync(testNS, "suspended", httpsURL, func(gs *v1alpha1.GitSync) { gs.Spec.Suspend = true }),
		gitSync("elsewhere", "match", httpsURL, nil),
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&v1alpha1.Receiver{}, IndexWebhookPath, IndexReceiver).
		WithStatusSubresource(&v1alpha1.Receiver{}).
		WithObjects(objs...).Build()
	o := DefaultOptions(":0", "")
	if opts != nil {
		o = *opts
	}
	logs := &syncBuffer{}
	log := funcr.New(logs.write, funcr.Options{Verbosity: 1})
	return &world{t: t, client: c, rcv: rcv, srv: NewServer(o, c, c, log), logs: logs}
}

// post sends body to path with header and returns the response.
func (w *world) post(path string, header http.Header, body []byte) *httptest.ResponseRecorder {
	w.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, req)
	return rec
}

// triggered lists namespace/name of every GitSync with the sync-requested
// annotation.
func (w *world) triggered() []string {
	w.t.Helper()
	var list v1alpha1.GitSyncList
	if err := w.client.List(w.t.Context(), &list); err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, gs := range list.Items {
		if _, ok := gs.Annotations[v1alpha1.AnnotationSyncRequested]; ok {
			out = append(out, gs.Namespace+"/"+gs.Name)
		}
	}
	sort.Strings(out)
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func logrDiscard() logr.Logger { return logr.Discard() }
