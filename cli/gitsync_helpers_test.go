package cli

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Fixtures of the GitSync command tests (get, reconcile, suspend,
// resume), which run against controller-runtime's fake client through
// Factory.KubeClient; test/e2e/cli runs the same commands on a real API
// server.

// fakeGitSyncs returns a fake client holding objs, with the status
// subresource and the metadata.name field selector of the real API.
func fakeGitSyncs(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) client.WithWatch {
	t.Helper()
	scheme, err := installScheme()
	if err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.GitSync{}).
		WithIndex(&v1alpha1.GitSync{}, "metadata.name", func(o client.Object) []string { return []string{o.GetName()} }).
		WithInterceptorFuncs(funcs).Build()
}

// runSealWith runs a seal command line with c as the cluster.
func runSealWith(t *testing.T, c client.WithWatch, args ...string) cliRun {
	t.Helper()
	f, out, errOut := testFactory(t.TempDir(), nil, "")
	f.KubeClient = func() (client.WithWatch, error) { return c, nil }
	code := run(context.Background(), f, args)
	return cliRun{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

// fixtureGitSync is a GitSync created ago before the tests' clock, with
// status written by set (nil: never synced).
func fixtureGitSync(ns, name string, ago time.Duration, spec v1alpha1.GitSyncSpec, set func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
	gs := &v1alpha1.GitSync{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1,
			CreationTimestamp: metav1.NewTime(statusTime.Add(-ago))},
		Spec: spec,
	}
	if set != nil {
		gs.Status.ObservedGeneration = gs.Generation
		set(gs)
	}
	return gs
}

// gitSyncFixtures are GitSyncs in every state seal get shows: in
// seal-system one Ready, one failing and one suspended; in team-b one
// never synced.
func gitSyncFixtures() []client.Object {
	ready := func(status metav1.ConditionStatus, reason, msg, rev string) func(*v1alpha1.GitSync) {
		return func(gs *v1alpha1.GitSync) {
			gs.Status.LastAttemptedRevision = rev
			if status == metav1.ConditionTrue {
				gs.Status.SetLastAppliedRevision(rev)
			}
			gs.Status.Conditions = []metav1.Condition{readyCondition(gs, status, reason, msg)}
		}
	}
	return []client.Object{
		fixtureGitSync("seal-system", "production", 72*time.Hour,
			v1alpha1.GitSyncSpec{URL: "ssh://git@git.example.com/acme/fleet.git", Ref: v1alpha1.GitRef{Branch: "main"}, Path: "clusters/prod"},
			ready(metav1.ConditionTrue, v1alpha1.ReasonSucceeded, "Applied revision 0123456789ab (12 objects)", "0123456789abcdef0123456789abcdef01234567")),
		fixtureGitSync("seal-system", "staging", 5*time.Hour,
			v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/fleet.git", Ref: v1alpha1.GitRef{Tag: "v1.2.0"}, Path: "clusters/staging"},
			ready(metav1.ConditionFalse, v1alpha1.ReasonDecryptionFailed, "clusters/staging/db.yaml: no identity of the agent's key ring opens it", "fedcba9876543210fedcba9876543210fedcba98")),
		fixtureGitSync("seal-system", "frozen", 40*time.Minute,
			v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/fleet.git", Path: "clusters/frozen", Suspend: true},
			func(gs *v1alpha1.GitSync) {
				ready(metav1.ConditionTrue, v1alpha1.ReasonSucceeded, "Applied revision 00112233445566 (1 objects)", "00112233445566778899aabbccddeeff00112233")(gs)
				gs.Status.Conditions = append(gs.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionFalse,
					Reason: v1alpha1.ReasonSuspended, Message: "spec.suspend is true: not syncing until it is false", ObservedGeneration: gs.Generation, LastTransitionTime: statusTime})
			}),
		fixtureGitSync("team-b", "pinned", 90*time.Second,
			v1alpha1.GitSyncSpec{URL: "git@git.example.com:acme/fleet.git", Ref: v1alpha1.GitRef{Commit: "89abcdef0123456789abcdef0123456789abcdef"}}, nil),
	}
}
