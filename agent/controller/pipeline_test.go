package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/crypto"
)

// The fakes record which stages ran, in order.
type calls []string

type fakeDepends struct {
	calls *calls
	err   error
}

func (f *fakeDepends) Check(context.Context, *v1alpha1.GitSync) error {
	*f.calls = append(*f.calls, StageDepends)
	return f.err
}

// dependsOnB makes the GitSync depend on GitSync b.
func dependsOnB(gs *v1alpha1.GitSync) {
	gs.Spec.DependsOn = []v1alpha1.DependencyReference{{Name: "b"}}
}

type fakeSource struct {
	calls *calls
	err   error
}

func (f *fakeSource) Fetch(context.Context, *v1alpha1.GitSync) (*source.Revision, error) {
	*f.calls = append(*f.calls, StageSource)
	if f.err != nil {
		return nil, f.err
	}
	return &source.Revision{SHA: "0123456789abcdef0123456789abcdef01234567"}, nil
}

type fakeVerifier struct {
	calls *calls
	err   error
}

func (f *fakeVerifier) Verify(context.Context, *v1alpha1.GitSync, *source.Revision) (string, error) {
	*f.calls = append(*f.calls, StageVerify)
	if f.err != nil {
		return "", f.err
	}
	return "alice", nil
}

// secretValue is the decrypted value the fake renderer "opens"; it must
// never appear in an outcome's error.
const secretValue = "hunter2-decrypted"

type fakeRenderer struct {
	calls   *calls
	err     error
	objects []*unstructured.Unstructured
}

func (f *fakeRenderer) Render(context.Context, *v1alpha1.GitSync, *source.Revision) (*Rendered, error) {
	*f.calls = append(*f.calls, StageRender)
	if f.err != nil {
		return nil, f.err
	}
	sources := make([]string, len(f.objects))
	for i := range sources {
		sources[i] = "apps/objects.yaml"
	}
	return &Rendered{
		Objects: f.objects, Sources: sources, KeyUsage: map[string]int{"sha256:0123456789abcdef": 1},
		Redact: func(err error) error {
			return errors.New(strings.ReplaceAll(err.Error(), secretValue, "[redacted]"))
		},
	}, nil
}

type fakeChecker struct {
	calls *calls
	err   error
}

func (f *fakeChecker) Check(*v1alpha1.GitSync, *Rendered) ([]string, error) {
	*f.calls = append(*f.calls, StageSealCheck)
	return nil, f.err
}

type fakeApplier struct {
	calls     *calls
	applyErr  error
	pruneErr  error
	pruned    []apply.Ref // what Prune was asked to delete
	keepStale int         // how many stale objects Prune fails to delete
}

func (f *fakeApplier) Apply(_ context.Context, objects []*unstructured.Unstructured) (*apply.Result, error) {
	*f.calls = append(*f.calls, StageApply)
	if f.applyErr != nil {
		return nil, f.applyErr
	}
	res := &apply.Result{}
	for _, o := range objects {
		ref := apply.RefOf(o)
		res.Objects = append(res.Objects, apply.ObjectResult{Ref: ref, Action: apply.Created})
		res.Inventory = append(res.Inventory, ref)
	}
	apply.SortRefs(res.Inventory)
	return res, nil
}

func (f *fakeApplier) Prune(_ context.Context, stale []apply.Ref) (*apply.Result, error) {
	*f.calls = append(*f.calls, StagePrune)
	f.pruned = stale
	res := &apply.Result{}
	for i, ref := range stale {
		if i < f.keepStale {
			continue
		}
		res.Objects = append(res.Objects, apply.ObjectResult{Ref: ref, Action: apply.Deleted})
	}
	return res, f.pruneErr
}

type fakeHealth struct {
	calls   *calls
	block   bool // wait for the context to end, as objects that never become healthy
	waiting string
}

func (f *fakeHealth) Wait(ctx context.Context, refs []apply.Ref, waiting func(string)) error {
	*f.calls = append(*f.calls, StageHealth)
	if !f.block {
		return nil
	}
	f.waiting = fmt.Sprintf("waiting for %d objects", len(refs))
	waiting(f.waiting)
	<-ctx.Done()
	return fmt.Errorf("%d object(s) not healthy after the timeout: Deployment/apps/v1 web: Deployment does not have minimum availability", len(refs))
}

type fakeNotifier struct {
	calls *calls
	err   error
	got   *Outcome
}

func (f *fakeNotifier) Started(context.Context, *v1alpha1.GitSync, string) {
	*f.calls = append(*f.calls, StagePending)
}

func (f *fakeNotifier) Notify(_ context.Context, _ *v1alpha1.GitSync, o *Outcome) error {
	*f.calls = append(*f.calls, StageNotify)
	f.got = o
	return f.err
}

func configMap(name string) *unstructured.Unstructured {
	return obj("v1", "ConfigMap", "apps", name)
}

func cmRef(name string) apply.Ref {
	return apply.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: name}
}

func TestPipeline(t *testing.T) {
	previous := []string{v1alpha1.ObjectRef(cmRef("a")).String(), v1alpha1.ObjectRef(cmRef("old1")).String(), v1alpha1.ObjectRef(cmRef("old2")).String()}
	tests := []struct {
		name string
		// set adjusts the fakes and the GitSync.
		set func(s *Stages, gs *v1alpha1.GitSync)
		// want
		calls     []string
		reason    string // "" for success
		stalled   bool
		inventory []string // names; nil: apply did not complete
		pruned    []string
		notifyErr bool
		message   string // part of the error message
	}{
		{
			name:      "success applies, prunes what left Git, waits for health and notifies",
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
		},
		{
			name: "an older agent's inventory is pruned the same",
			set: func(_ *Stages, gs *v1alpha1.GitSync) {
				gs.Status.Inventory = []v1alpha1.ObjectRef{v1alpha1.ObjectRef(cmRef("a")), v1alpha1.ObjectRef(cmRef("old1")), v1alpha1.ObjectRef(cmRef("old2"))}
				gs.Status.AppliedObjects = nil
			},
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
		},
		{
			name:      "dependencies that are ready are checked first",
			set:       func(_ *Stages, gs *v1alpha1.GitSync) { dependsOnB(gs) },
			calls:     []string{StageDepends, StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
		},
		{
			name: "a dependency not ready fetches, applies and prunes nothing",
			set: func(s *Stages, gs *v1alpha1.GitSync) {
				dependsOnB(gs)
				s.Depends.(*fakeDepends).err = &dependencyError{"spec.dependsOn[0]: GitSync apps/b is not ready: it is Ready=False (ApplyFailed)"}
			},
			calls:   []string{StageDepends, StageNotify},
			reason:  v1alpha1.ReasonDependencyNotReady,
			message: "GitSync apps/b is not ready",
		},
		{
			name: "a dependency cycle stalls",
			set: func(s *Stages, gs *v1alpha1.GitSync) {
				dependsOnB(gs)
				s.Depends.(*fakeDepends).err = &cycleError{cycle: []types.NamespacedName{{Namespace: "apps", Name: "web"}, {Namespace: "apps", Name: "b"}, {Namespace: "apps", Name: "web"}}}
			},
			calls:   []string{StageDepends, StageNotify},
			reason:  v1alpha1.ReasonDependencyCycle,
			stalled: true,
			message: "apps/web → apps/b → apps/web",
		},
		{
			name:   "fetch failure stops before anything else and is retried",
			set:    func(s *Stages, _ *v1alpha1.GitSync) { s.Source.(*fakeSource).err = source.ErrUnreachable },
			calls:  []string{StageSource, StageNotify},
			reason: v1alpha1.ReasonGitFetchFailed,
		},
		{
			name:    "an invalid credentials Secret stalls",
			set:     func(s *Stages, _ *v1alpha1.GitSync) { s.Source.(*fakeSource).err = source.ErrInvalidSecret },
			calls:   []string{StageSource, StageNotify},
			reason:  v1alpha1.ReasonGitFetchFailed,
			stalled: true,
		},
		{
			name:    "a fetch over --max-fetch-size stalls until the repository changes",
			set:     func(s *Stages, _ *v1alpha1.GitSync) { s.Source.(*fakeSource).err = source.ErrFetchTooLarge },
			calls:   []string{StageSource, StageNotify},
			reason:  v1alpha1.ReasonGitFetchFailed,
			stalled: true,
		},
		{
			name: "a refused host stalls",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Source.(*fakeSource).err = &hostRefusedError{errors.New("metadata address")}
			},
			calls:   []string{StageSource, StageNotify},
			reason:  v1alpha1.ReasonOutboundHostRefused,
			stalled: true,
		},
		{
			name:   "an unsigned commit renders nothing",
			set:    func(s *Stages, _ *v1alpha1.GitSync) { s.Verify.(*fakeVerifier).err = errors.New("no signature") },
			calls:  []string{StageSource, StagePending, StageVerify, StageNotify},
			reason: v1alpha1.ReasonVerificationFailed,
		},
		{
			name: "render failure applies and prunes nothing",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Render.(*fakeRenderer).err = errors.New("apps/a.yaml: bad YAML")
			},
			calls:  []string{StageSource, StagePending, StageVerify, StageRender, StageNotify},
			reason: v1alpha1.ReasonRenderFailed,
		},
		{
			name: "a file no key opens is a stalled decryption failure",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Render.(*fakeRenderer).err = &decryptError{err: fmt.Errorf("apps/s.yaml: %w", crypto.ErrNoMatchingIdentity)}
			},
			calls:   []string{StageSource, StagePending, StageVerify, StageRender, StageNotify},
			reason:  v1alpha1.ReasonDecryptionFailed,
			stalled: true,
		},
		{
			name: "a MAC mismatch is a decryption failure that may be retried",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Render.(*fakeRenderer).err = &decryptError{err: crypto.ErrMACMismatch}
			},
			calls:  []string{StageSource, StagePending, StageVerify, StageRender, StageNotify},
			reason: v1alpha1.ReasonDecryptionFailed,
		},
		{
			name: "a seal violation applies nothing and stalls",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Check.(*fakeChecker).err = errors.New("value moved to a ConfigMap")
			},
			calls:   []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageNotify},
			reason:  v1alpha1.ReasonSealViolation,
			stalled: true,
			message: "revision 0123456789ab: value moved",
		},
		{
			name:    "an empty render against a non-empty inventory is refused",
			set:     func(s *Stages, _ *v1alpha1.GitSync) { s.Render.(*fakeRenderer).objects = nil },
			calls:   []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageNotify},
			reason:  v1alpha1.ReasonEmptyRender,
			message: "set spec.allowEmpty",
		},
		{
			name: "an empty render with allowEmpty prunes everything",
			set: func(s *Stages, gs *v1alpha1.GitSync) {
				s.Render.(*fakeRenderer).objects = nil
				gs.Spec.AllowEmpty = true
			},
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			inventory: []string{},
			pruned:    []string{"a", "old1", "old2"},
		},
		{
			name: "apply failure prunes nothing, keeps the inventory and redacts",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Apply.(*fakeApplier).applyErr = errors.New("Secret apps/s: invalid value " + secretValue)
			},
			calls:   []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StageNotify},
			reason:  v1alpha1.ReasonApplyFailed,
			message: "invalid value [redacted]",
		},
		{
			name: "prune failure keeps what was not deleted in the inventory",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Apply.(*fakeApplier).pruneErr = errors.New("ConfigMap apps/old1: forbidden")
				s.Apply.(*fakeApplier).keepStale = 1
			},
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageNotify},
			reason:    v1alpha1.ReasonPruneFailed,
			inventory: []string{"a", "b", "old1"},
			pruned:    []string{"old1", "old2"},
		},
		{
			name:      "prune off deletes nothing",
			set:       func(_ *Stages, gs *v1alpha1.GitSync) { off := false; gs.Spec.Prune = &off },
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StageHealth, StageNotify},
			inventory: []string{"a", "b"},
		},
		{
			name:      "health timeout fails the sync after recording the inventory",
			set:       func(s *Stages, _ *v1alpha1.GitSync) { s.Health.(*fakeHealth).block = true },
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			reason:    v1alpha1.ReasonHealthCheckFailed,
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
			message:   "Deployment does not have minimum availability",
		},
		{
			name:      "spec.wait false skips the health stage",
			set:       func(s *Stages, _ *v1alpha1.GitSync) { s.Health = nil },
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageNotify},
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
		},
		{
			name: "notify failure leaves the sync a success",
			set: func(s *Stages, _ *v1alpha1.GitSync) {
				s.Notify.(*fakeNotifier).err = errors.New("401 from the Git host")
			},
			calls:     []string{StageSource, StagePending, StageVerify, StageRender, StageSealCheck, StageApply, StagePrune, StageHealth, StageNotify},
			inventory: []string{"a", "b"},
			pruned:    []string{"old1", "old2"},
			notifyErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c calls
			s := &Stages{
				Depends: &fakeDepends{calls: &c},
				Source:  &fakeSource{calls: &c}, Verify: &fakeVerifier{calls: &c},
				Render: &fakeRenderer{calls: &c, objects: []*unstructured.Unstructured{configMap("a"), configMap("b")}},
				Check:  &fakeChecker{calls: &c}, Apply: &fakeApplier{calls: &c},
				Health: &fakeHealth{calls: &c}, Notify: &fakeNotifier{calls: &c},
				Timeout: time.Minute, HealthTimeout: 50 * time.Millisecond,
			}
			gs := &v1alpha1.GitSync{}
			gs.Namespace, gs.Name = "apps", "web"
			gs.Status.AppliedObjects = previous
			if tt.set != nil {
				tt.set(s, gs)
			}
			o := s.Run(context.Background(), gs)

			if !slices.Equal(c, tt.calls) {
				t.Errorf("stages run = %v, want %v", c, tt.calls)
			}
			switch {
			case tt.reason == "" && o.Err != nil:
				t.Fatalf("sync failed: %s: %v", o.Err.Reason, o.Err)
			case tt.reason != "" && o.Err == nil:
				t.Fatalf("sync succeeded, want %s", tt.reason)
			case o.Err != nil:
				if o.Err.Reason != tt.reason || o.Err.Stalled != tt.stalled {
					t.Errorf("reason %s stalled %v, want %s stalled %v", o.Err.Reason, o.Err.Stalled, tt.reason, tt.stalled)
				}
				if !strings.Contains(o.Err.Error(), tt.message) {
					t.Errorf("message %q does not contain %q", o.Err.Error(), tt.message)
				}
				if strings.Contains(o.Err.Error(), secretValue) {
					t.Errorf("message %q holds a decrypted value", o.Err.Error())
				}
			}
			if got := names(o.Inventory); tt.inventory == nil && o.Inventory != nil || tt.inventory != nil && !slices.Equal(got, tt.inventory) {
				t.Errorf("inventory = %v (nil %v), want %v", got, o.Inventory == nil, tt.inventory)
			}
			if got := names(s.Apply.(*fakeApplier).pruned); !slices.Equal(got, tt.pruned) && len(got)+len(tt.pruned) > 0 {
				t.Errorf("pruned %v, want %v", got, tt.pruned)
			}
			if (o.NotifyErr != nil) != tt.notifyErr {
				t.Errorf("notify error %v, want one: %v", o.NotifyErr, tt.notifyErr)
			}
			if n := s.Notify.(*fakeNotifier).got; n != o {
				t.Errorf("the notifier was not given the outcome")
			}
			var stages []string
			for _, d := range o.Durations {
				stages = append(stages, d.Stage)
			}
			if !slices.Equal(stages, tt.calls) {
				t.Errorf("durations recorded for %v, want %v", stages, tt.calls)
			}
		})
	}
}

func names(refs []apply.Ref) []string {
	out := []string{}
	for _, r := range refs {
		out = append(out, r.Name)
	}
	return out
}
