package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/notify"
)

// forge records the states posted to it, as "state sha[:7] description".
type forge struct {
	mu     sync.Mutex
	posted []string
	down   bool
}

func (f *forge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	sha := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	f.posted = append(f.posted, body["state"]+" "+sha[:7]+" "+body["description"])
	w.WriteHeader(http.StatusCreated)
}

func (f *forge) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.posted
	f.posted = nil
	return p
}

var (
	revA = strings.Repeat("a", 40)
	revB = strings.Repeat("b", 40)
)

// statusSync is one sync's commit status side: Started, then Notify
// with an outcome, then what record makes of it.
type statusSync struct {
	t   *testing.T
	r   *Reconciler
	gs  *v1alpha1.GitSync
	rec *record
	srv *httptest.Server
}

func newStatusSync(t *testing.T) (*statusSync, *forge) {
	f := &forge{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}
	gs.Spec.URL = "https://github.com/acme/envs.git"
	gs.Spec.CommitStatus = &v1alpha1.CommitStatus{SecretRef: v1alpha1.LocalObjectReference{Name: "token"}}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return &statusSync{t: t, r: &Reconciler{Config: Config{Metrics: m, ClusterName: "eu1"}}, gs: gs, rec: &record{}, srv: srv}, f
}

func (s *statusSync) run(rev string, o *Outcome) *Outcome {
	s.t.Helper()
	scheme := runtime.NewScheme()
	corev1.AddToScheme(scheme)
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "token"}, Data: map[string][]byte{"token": []byte("tok")}}
	n := &commitNotifier{
		secrets: secrets{reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(token).Build()},
		record:  s.rec, context: notify.StatusContext(s.r.clusterName(), s.gs.Namespace, s.gs.Name),
		config: func(username, tok []byte) notify.Config {
			return notify.Config{RepoURL: s.gs.Spec.URL, APIURL: s.srv.URL, Token: string(tok),
				AllowedHosts: []string{"127.0.0.1"}, Addresses: notify.AddressPolicy{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
				Retry: notify.Retry{Max: 1, WaitMin: time.Millisecond, WaitMax: time.Millisecond, Timeout: time.Second}}
		},
	}
	ctx := context.Background()
	n.Started(ctx, s.gs, rev)
	o.Revision = rev
	o.NotifyErr = n.Notify(ctx, s.gs, o)
	s.r.recordCommitStatus(s.gs, o)
	if o.Err == nil {
		s.gs.Status.LastAppliedRevision = rev
	}
	return o
}

func condition(gs *v1alpha1.GitSync) string {
	c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionCommitStatusReported)
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("%s %s", c.Status, c.Reason)
}

func TestCommitStatusesOfASequenceOfSyncs(t *testing.T) {
	s, f := newStatusSync(t)
	applied := func() *Outcome { return &Outcome{} }

	s.run(revA, applied())
	want := []string{"pending aaaaaaa syncing revision aaaaaaaaaaaa", "success aaaaaaa Applied revision aaaaaaaaaaaa (0 objects)"}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("first sync (-want +got):\n%s", diff)
	}
	if got := condition(s.gs); got != "True Posted" {
		t.Errorf("condition %s", got)
	}

	s.run(revA, applied()) // a resync posts nothing
	if got := f.take(); len(got) != 0 {
		t.Errorf("a resync posted %q", got)
	}

	// B's health wait is cut short by a newer request: pending stays open.
	s.run(revB, &Outcome{Err: classify(StageHealth, errSuperseded)})
	if diff := cmp.Diff([]string{"pending bbbbbbb syncing revision bbbbbbbbbbbb"}, f.take()); diff != "" {
		t.Errorf("cut short (-want +got):\n%s", diff)
	}
	// The next sync fetched A again (a revert): B is superseded by it.
	// A's success is the last status of the context, but A is new again
	// after B: pending first.
	s.run(revA, applied())
	want = []string{
		"error bbbbbbb superseded by aaaaaaaaaaaa before its sync finished",
		"pending aaaaaaa syncing revision aaaaaaaaaaaa",
		"success aaaaaaa Applied revision aaaaaaaaaaaa (0 objects)",
	}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("superseded (-want +got):\n%s", diff)
	}

	// A failure carries the reason.
	failed := &Outcome{Err: classify(StageApply, errors.New("ConfigMap apps/x: invalid"))}
	s.run(revB, failed)
	want = []string{"pending bbbbbbb syncing revision bbbbbbbbbbbb", "failure bbbbbbb ApplyFailed: ConfigMap apps/x: invalid"}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("failure (-want +got):\n%s", diff)
	}
	s.run(revB, &Outcome{Err: classify(StageApply, errors.New("ConfigMap apps/x: invalid"))}) // retried: nothing new
	if got := f.take(); len(got) != 0 {
		t.Errorf("a retried failure posted %q", got)
	}
}

func TestAForgeThatIsDownSetsTheConditionAndIsCaughtUpLater(t *testing.T) {
	s, f := newStatusSync(t)
	f.down = true
	o := s.run(revA, &Outcome{})
	if o.NotifyErr == nil || !strings.Contains(o.NotifyErr.Error(), "503") {
		t.Fatalf("NotifyErr %v, want the 503", o.NotifyErr)
	}
	if got := condition(s.gs); got != "False PostFailed" {
		t.Errorf("condition %s", got)
	}
	if n := testutil.ToFloat64(s.r.Metrics.commitStatus.WithLabelValues("apps", "web", v1alpha1.ReasonPostFailed)); n != 1 {
		t.Errorf("seal_commit_status_failures_total = %v, want 1", n)
	}
	f.down = false
	s.run(revA, &Outcome{}) // A was applied meanwhile: no pending, the success
	want := []string{"success aaaaaaa Applied revision aaaaaaaaaaaa (0 objects)"}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("once back (-want +got):\n%s", diff)
	}
	if got := condition(s.gs); got != "True Posted" {
		t.Errorf("condition %s", got)
	}
}

func TestAMissingTokenIsAnInvalidConfig(t *testing.T) {
	s, _ := newStatusSync(t)
	s.gs.Spec.CommitStatus.SecretRef.Name = "missing"
	o := s.run(revA, &Outcome{})
	if o.Err != nil || o.NotifyErr == nil {
		t.Fatalf("Err %v, NotifyErr %v: want only the notify error", o.Err, o.NotifyErr)
	}
	if got := condition(s.gs); got != "False InvalidConfig" {
		t.Errorf("condition %s", got)
	}
}

func TestASyncRequestCutsAHealthWaitShort(t *testing.T) {
	in := &interrupts{}
	key := types.NamespacedName{Namespace: "apps", Name: "web"}
	ctx, done := in.during(context.Background(), key)
	defer done()
	p := interruptWaits(in)
	old := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web", Generation: 1}}
	status := old.DeepCopy()
	status.Status.LastAttemptedRevision = revA
	if p.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: status}) || ctx.Err() != nil {
		t.Fatal("a status update interrupted the wait (or passed the predicate)")
	}
	other := old.DeepCopy()
	other.Name = "other"
	other.Annotations = map[string]string{v1alpha1.AnnotationSyncRequested: "1"}
	p.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: other})
	if ctx.Err() != nil {
		t.Fatal("another GitSync's request interrupted the wait")
	}
	requested := old.DeepCopy()
	requested.Annotations = map[string]string{v1alpha1.AnnotationSyncRequested: "1"}
	if p.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: requested}) {
		t.Error("the observing predicate passed an event")
	}
	if !errors.Is(context.Cause(ctx), errSuperseded) {
		t.Errorf("cause %v, want errSuperseded", context.Cause(ctx))
	}
}

func TestFinalStatesTheForgeMissedArePostedOnceItIsBack(t *testing.T) {
	s, f := newStatusSync(t)
	f.down = true
	s.run(revA, &Outcome{})
	s.run(revB, &Outcome{Err: classify(StageApply, errors.New("ConfigMap apps/x: invalid"))})
	f.down = false
	s.run(revB, &Outcome{Err: classify(StageApply, errors.New("ConfigMap apps/x: invalid"))})
	want := []string{"success aaaaaaa Applied revision aaaaaaaaaaaa (0 objects)", "failure bbbbbbb ApplyFailed: ConfigMap apps/x: invalid"}
	if diff := cmp.Diff(want, f.take()); diff != "" {
		t.Errorf("once back (-want +got):\n%s", diff)
	}
}
