package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const appliedSHA = "0123456789abcdef0123456789abcdef01234567"

// gitSync is namespace/name at generation 1, Ready at its latest revision,
// depending on deps ("name" or "namespace/name").
func gitSync(key string, deps ...string) *v1alpha1.GitSync {
	ns, name, _ := strings.Cut(key, "/")
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1}}
	for _, d := range deps {
		ref := v1alpha1.DependencyReference{Name: d}
		if dns, dname, ok := strings.Cut(d, "/"); ok {
			ref = v1alpha1.DependencyReference{Namespace: dns, Name: dname}
		}
		gs.Spec.DependsOn = append(gs.Spec.DependsOn, ref)
	}
	gs.Status = v1alpha1.GitSyncStatus{
		ObservedGeneration: 1, LastAttemptedRevision: appliedSHA, LastAppliedRevision: appliedSHA,
		Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded, ObservedGeneration: 1}},
	}
	return gs
}

func notReady(gs *v1alpha1.GitSync, mutate func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	mutate(gs)
	return gs
}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return scheme
}

func TestDependencies(t *testing.T) {
	tests := []struct {
		name    string
		gs      *v1alpha1.GitSync
		others  []*v1alpha1.GitSync
		tenant  bool // read as a service account that may not get GitSyncs in namespace "other"
		wantErr string
		cycle   bool
	}{
		{name: "all ready", gs: gitSync("team/a", "b", "other/c"), others: []*v1alpha1.GitSync{gitSync("team/b"), gitSync("other/c")}},
		{name: "the namespace defaults to the GitSync's own", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{gitSync("other/b")},
			wantErr: "spec.dependsOn[0]: GitSync team/b not found"},
		{name: "the first not ready is named", gs: gitSync("team/a", "b", "c", "d"), others: []*v1alpha1.GitSync{
			gitSync("team/b"),
			notReady(gitSync("team/c"), func(gs *v1alpha1.GitSync) {
				gs.Status.Conditions[0].Status, gs.Status.Conditions[0].Reason = metav1.ConditionFalse, v1alpha1.ReasonApplyFailed
			}),
			notReady(gitSync("team/d"), func(gs *v1alpha1.GitSync) { gs.Status.Conditions = nil })},
			wantErr: "spec.dependsOn[1]: GitSync team/c is not ready: it is Ready=False (ApplyFailed)"},
		{name: "a new generation not synced yet", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{
			notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Generation = 2 })},
			wantErr: "GitSync team/b is not ready: generation 2 is not synced yet"},
		{name: "a Ready condition of an older generation", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{
			notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Generation, gs.Status.ObservedGeneration = 2, 2 })},
			wantErr: "its Ready condition is for generation 1, not 2"},
		{name: "a fetched revision not applied yet", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{
			notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Status.LastAttemptedRevision = "fedcba" })},
			wantErr: "GitSync team/b is not ready: it has not applied the latest revision it fetched"},
		{name: "no condition yet", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{
			notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Status = v1alpha1.GitSyncStatus{ObservedGeneration: 1} })},
			wantErr: "it has no Ready condition yet"},
		{name: "itself", gs: gitSync("team/a", "b", "a"), others: []*v1alpha1.GitSync{gitSync("team/b")},
			wantErr: "spec.dependsOn names GitSync team/a itself", cycle: true},
		{name: "a cycle of two", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{gitSync("team/b", "team/a")},
			wantErr: "spec.dependsOn forms a cycle: team/a → team/b → team/a", cycle: true},
		{name: "a cycle of three across namespaces", gs: gitSync("team/a", "x", "b"),
			others:  []*v1alpha1.GitSync{gitSync("team/x"), gitSync("team/b", "other/c"), gitSync("other/c", "team/a")},
			wantErr: "team/a → team/b → other/c → team/a", cycle: true},
		{name: "a cycle elsewhere is a dependency not ready", gs: gitSync("team/a", "b"), others: []*v1alpha1.GitSync{
			notReady(gitSync("team/b", "c"), func(gs *v1alpha1.GitSync) {
				gs.Status.Conditions[0].Status, gs.Status.Conditions[0].Reason = metav1.ConditionFalse, v1alpha1.ReasonDependencyCycle
			}), gitSync("team/c", "b")},
			wantErr: "GitSync team/b is not ready: it is Ready=False (DependencyCycle)"},
		{name: "tenant mode reads what the account may read", gs: gitSync("team/a", "b"), tenant: true, others: []*v1alpha1.GitSync{gitSync("team/b")}},
		{name: "tenant mode refuses what the account may not read", gs: gitSync("team/a", "b", "other/c"), tenant: true,
			others:  []*v1alpha1.GitSync{gitSync("team/b"), gitSync("other/c")},
			wantErr: "spec.dependsOn[1]: ServiceAccount team/sync may not get GitSync other/c (forbidden): grant it get on gitsyncs.seal.dev in namespace other"},
		{name: "tenant mode finds no cycle through what it may not read", gs: gitSync("team/a", "other/c"), tenant: true,
			others:  []*v1alpha1.GitSync{gitSync("other/c", "team/a")},
			wantErr: "may not get GitSync other/c (forbidden)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(testScheme(t))
			for _, o := range tt.others {
				b = b.WithObjects(o)
			}
			c := b.Build()
			var d *dependencies
			if tt.tenant {
				forbidding := interceptor.NewClient(fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objects(tt.others)...).Build(), interceptor.Funcs{
					Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
						if key.Namespace == "other" {
							return apierrors.NewForbidden(schema.GroupResource{Group: "seal.dev", Resource: "gitsyncs"}, key.Name, errors.New("no RBAC"))
						}
						return c.Get(ctx, key, obj, opts...)
					},
				})
				d = newDependencies(c, c, &record{serviceAccount: "sync", client: forbidding})
			} else {
				d = newDependencies(c, c, &record{})
			}
			err := d.Check(context.Background(), tt.gs)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check: %v, want an error containing %q", err, tt.wantErr)
			}
			if got := classify(StageDepends, err); got.Stalled != tt.cycle ||
				(got.Reason == v1alpha1.ReasonDependencyCycle) != tt.cycle {
				t.Errorf("classified %s stalled %v, want a cycle: %v", got.Reason, got.Stalled, tt.cycle)
			}
		})
	}
}

func objects(gss []*v1alpha1.GitSync) []client.Object {
	out := make([]client.Object, len(gss))
	for i, gs := range gss {
		out[i] = gs.DeepCopy()
	}
	return out
}

// TestDependantsAreFoundByTheIndex: the map handler enqueues the GitSyncs
// whose spec.dependsOn names the one that became Ready, in any namespace.
func TestDependantsAreFoundByTheIndex(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).
		WithIndex(&v1alpha1.GitSync{}, dependsOnIndex, indexDependsOn).
		WithObjects(gitSync("team/a", "b"), gitSync("other/x", "team/b"), gitSync("team/y", "c"), gitSync("team/b"), gitSync("other/b")).
		Build()
	var got []string
	for _, req := range dependants(c)(context.Background(), gitSync("team/b")) {
		got = append(got, req.String())
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"other/x", "team/a"}, got); diff != "" {
		t.Errorf("dependants of team/b (-want +got):\n%s", diff)
	}
}

func TestBecameReady(t *testing.T) {
	ready := gitSync("team/b")
	failed := notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Status.Conditions[0].Status = metav1.ConditionFalse })
	newRevision := notReady(gitSync("team/b"), func(gs *v1alpha1.GitSync) { gs.Status.LastAttemptedRevision = "fedcba" })
	tests := []struct {
		name     string
		old, new *v1alpha1.GitSync
		want     bool
	}{
		{"became Ready", failed, ready, true},
		{"applied the revision it fetched", newRevision, ready, true},
		{"stayed Ready", ready, ready, false},
		{"stopped being Ready", ready, failed, false},
		{"stayed not Ready", failed, newRevision, false},
	}
	p := becameReady()
	for _, tt := range tests {
		if got := p.Update(event.UpdateEvent{ObjectOld: tt.old, ObjectNew: tt.new}); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if p.Create(event.CreateEvent{Object: ready}) {
		t.Errorf("a created GitSync passed: every GitSync is synced when created anyway")
	}
}

// TestLastHandledSyncRequest: a reconcile records the sync-requested
// value it handled, here for a suspended GitSync that syncs nothing; one
// longer than the status allows is not recorded.
func TestLastHandledSyncRequest(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"2026-12-06T05:00:00Z", "2026-12-06T05:00:00Z"},
		{strings.Repeat("x", v1alpha1.MaxSyncRequestLength+1), ""},
	} {
		testLastHandledSyncRequest(t, tt.value, tt.want)
	}
}

func testLastHandledSyncRequest(t *testing.T, value, want string) {
	t.Helper()
	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "apps", Generation: 1,
		Finalizers: []string{v1alpha1.Finalizer}, Annotations: map[string]string{v1alpha1.AnnotationSyncRequested: value}}}
	gs.Spec.Suspend = true
	c := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(gs).WithStatusSubresource(gs).Build()
	metrics, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{Metrics: metrics}, c, c, events.NewFakeRecorder(10))
	if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team", Name: "apps"}}); err != nil {
		t.Fatal(err)
	}
	var got v1alpha1.GitSync
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(gs), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Status.LastHandledSyncRequest); diff != "" {
		t.Errorf("lastHandledSyncRequest (-want +got):\n%s", diff)
	}
}
