package cli

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// fakeAgent plays seal-agent for seal reconcile --wait: once the command
// watches, it reads the sync request, ends a sync that started before it
// (an older token, which the command must not take for its own), then ends
// the requested sync with the Ready condition outcome gives (nil: it never
// syncs), recording the token it handled as the agent does.
type fakeAgent struct {
	t       *testing.T
	outcome *metav1.Condition
	done    chan struct{}
	seen    string // the annotation the agent read
}

func (a *fakeAgent) funcs(statusWrites *int) interceptor.Funcs {
	return interceptor.Funcs{
		Watch: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) (watch.Interface, error) {
			w, err := c.Watch(ctx, list, opts...)
			if err == nil && a.outcome != nil {
				go a.sync(c)
			}
			return w, err
		},
		// The command must write no status; the agent (the inner client)
		// does not pass through here.
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			*statusWrites++
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			*statusWrites++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
	}
}

// sync writes the outcomes as the agent's status patches would.
func (a *fakeAgent) sync(c client.WithWatch) {
	defer close(a.done)
	key := client.ObjectKey{Namespace: "seal-system", Name: "production"}
	var gs v1alpha1.GitSync
	if err := c.Get(context.Background(), key, &gs); err != nil {
		a.t.Error(err)
		return
	}
	a.seen = gs.Annotations[v1alpha1.AnnotationSyncRequested]
	older := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonGitFetchFailed,
		Message: "the sync that was running before the request"}
	for _, step := range []struct {
		ready   metav1.Condition
		handled string
	}{{older, "2026-11-25T11:00:00Z"}, {*a.outcome, a.seen}} {
		if err := c.Get(context.Background(), key, &gs); err != nil {
			a.t.Error(err)
			return
		}
		step.ready.ObservedGeneration, step.ready.LastTransitionTime = gs.Generation, statusTime
		meta.SetStatusCondition(&gs.Status.Conditions, step.ready)
		gs.Status.LastAttemptedRevision = "aaaabbbbccccddddeeeeffff0000111122223333"
		gs.Status.LastHandledSyncRequest = step.handled
		if err := c.Status().Update(context.Background(), &gs); err != nil {
			a.t.Error(err)
		}
	}
}

// TestReconcileGitSync: seal reconcile gitsync sets the request
// annotation; with --wait it waits until the agent has handled that
// request (not an older one), prints the outcome and exits by it, and
// writes no status.
func TestReconcileGitSync(t *testing.T) {
	const token = "2026-11-25T12:00:00Z"
	ok := &metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonSucceeded,
		Message: "Applied revision aaaabbbbcccc (12 objects)"}
	failed := &metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonRenderFailed,
		Message: "clusters/prod/kustomization.yaml: unknown field\n\"bases\""}
	for _, tt := range []struct {
		name    string
		args    []string
		outcome *metav1.Condition
		code    int
		stdout  string
		stderr  string // contained in stderr; "" for none
	}{
		{"request only", []string{"production"}, nil, ExitOK,
			"GitSync seal-system/production: sync requested\n", ""},
		{"wait, Ready", []string{"production", "--wait"}, ok, ExitOK,
			"GitSync seal-system/production: Ready=True (Succeeded) at revision aaaabbbbcccc: Applied revision aaaabbbbcccc (12 objects)\n",
			"GitSync seal-system/production: sync requested, waiting for seal-agent (up to 3m0s)\n"},
		{"wait, failed", []string{"production", "-w", "--timeout", "1m"}, failed, ExitFailure,
			"GitSync seal-system/production: Ready=False (RenderFailed) at revision aaaabbbbcccc: clusters/prod/kustomization.yaml: unknown field \"bases\"\n",
			"waiting for seal-agent (up to 1m0s)\n"},
		{"wait, no agent", []string{"production", "--wait", "--timeout", "300ms"}, nil, ExitFailure, "",
			"seal: error: GitSync seal-system/production: no outcome of the requested sync within 300ms\nseal: hint: is seal-agent running?"},
		{"suspended", []string{"frozen", "--wait"}, nil, ExitFailure, "",
			"seal: error: GitSync seal-system/frozen is suspended: seal-agent does not sync it\nseal: hint: seal resume gitsync frozen -n seal-system, which syncs it at once\n"},
		{"not found", []string{"nope", "-n", "team-b"}, nil, ExitFailure, "",
			"seal: error: GitSync team-b/nope not found in the cluster at test\n"},
		{"no name", nil, nil, ExitUsage, "", "seal: error: seal reconcile gitsync takes one NAME, the GitSync's, got 0 arguments\n"},
		{"timeout without wait", []string{"production", "--timeout", "1m"}, nil, ExitUsage, "", "--timeout applies only with --wait"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAgent{t: t, outcome: tt.outcome, done: make(chan struct{})}
			statusWrites := 0
			c := fakeGitSyncs(t, a.funcs(&statusWrites), gitSyncFixtures()...)
			r := runSealWith(t, c, append([]string{"reconcile", "gitsync"}, tt.args...)...)
			if r.Code != tt.code || r.Stdout != tt.stdout {
				t.Errorf("exit %d, stdout %q; want %d, %q; stderr:\n%s", r.Code, r.Stdout, tt.code, tt.stdout, r.Stderr)
			}
			if tt.stderr == "" && r.Stderr != "" || !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", r.Stderr, tt.stderr)
			}
			golden(t, "reconcile-"+strings.NewReplacer(" ", "-", ",", "").Replace(tt.name)+".txt",
				"$ seal reconcile gitsync "+strings.Join(tt.args, " ")+"\n# stdout\n"+r.Stdout+"# stderr\n"+r.Stderr)
			if tt.outcome != nil {
				<-a.done
				if a.seen != token {
					t.Errorf("the agent saw %s=%q, want %q", v1alpha1.AnnotationSyncRequested, a.seen, token)
				}
			}
			if statusWrites != 0 {
				t.Errorf("the command wrote the status %d times, want none", statusWrites)
			}
			var gs v1alpha1.GitSync
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: "seal-system", Name: "production"}, &gs); err != nil {
				t.Fatal(err)
			}
			requested := tt.code == ExitOK || tt.outcome != nil || strings.Contains(tt.name, "no agent")
			if got := gs.Annotations[v1alpha1.AnnotationSyncRequested]; (got == token) != requested {
				t.Errorf("annotation %q after the command; requested: %v", got, requested)
			}
		})
	}
}

// TestSuspendResumeGitSync: suspend and resume set and clear spec.suspend,
// and say so when there was nothing to change.
func TestSuspendResumeGitSync(t *testing.T) {
	c := fakeGitSyncs(t, interceptor.Funcs{}, gitSyncFixtures()...)
	for _, step := range []struct {
		args    []string
		code    int
		stdout  string
		suspend bool
	}{
		{[]string{"suspend", "gitsync", "production"}, ExitOK, "GitSync seal-system/production: suspended\n", true},
		{[]string{"suspend", "gs", "production"}, ExitOK, "GitSync seal-system/production: already suspended\n", true},
		{[]string{"resume", "gitsync", "production"}, ExitOK, "GitSync seal-system/production: resumed\n", false},
		{[]string{"resume", "gitsyncs", "production", "-n", "seal-system"}, ExitOK, "GitSync seal-system/production: not suspended\n", false},
		{[]string{"resume", "gitsync", "nope"}, ExitFailure, "", false},
		{[]string{"suspend", "gitsync"}, ExitUsage, "", false},
	} {
		r := runSealWith(t, c, step.args...)
		if r.Code != step.code || r.Stdout != step.stdout {
			t.Errorf("seal %s: exit %d, stdout %q; want %d, %q; stderr:\n%s", strings.Join(step.args, " "), r.Code, r.Stdout, step.code, step.stdout, r.Stderr)
		}
		var gs v1alpha1.GitSync
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: "seal-system", Name: "production"}, &gs); err != nil {
			t.Fatal(err)
		}
		if gs.Spec.Suspend != step.suspend {
			t.Errorf("seal %s: spec.suspend %v, want %v", strings.Join(step.args, " "), gs.Spec.Suspend, step.suspend)
		}
	}
}
