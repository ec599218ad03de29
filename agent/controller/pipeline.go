package controller

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/crypto"
)

// The stages of a sync, each behind a small interface so the pipeline can
// be run with fakes. Each gets the GitSync (its spec, and the status the
// last reconcile left) and what the stages before it returned; none reads
// another's result from the status or writes the status.
type (
	// DependencyChecker says whether the GitSyncs of spec.dependsOn are
	// Ready at their latest revision: nil, a *dependencyError naming the
	// first that is not, or a *cycleError.
	DependencyChecker interface {
		Check(ctx context.Context, gs *v1alpha1.GitSync) error
	}
	// Source fetches the revision to sync.
	Source interface {
		Fetch(ctx context.Context, gs *v1alpha1.GitSync) (*source.Revision, error)
	}
	// Verifier checks the revision's signature when spec.verify is set and
	// returns who signed it ("" when nothing was checked).
	Verifier interface {
		Verify(ctx context.Context, gs *v1alpha1.GitSync, rev *source.Revision) (signer string, err error)
	}
	// Renderer renders and decrypts the revision's directory. Its errors
	// are already redacted.
	Renderer interface {
		Render(ctx context.Context, gs *v1alpha1.GitSync, rev *source.Revision) (*Rendered, error)
	}
	// SealChecker decides where every sealed value of a render may land
	// and swaps the values in, or refuses the revision.
	SealChecker interface {
		Check(gs *v1alpha1.GitSync, r *Rendered) (unbound []string, err error)
	}
	// Applier applies objects and deletes the ones that left Git
	// (apply.Applier).
	Applier interface {
		Apply(ctx context.Context, objects []*unstructured.Unstructured) (*apply.Result, error)
		Prune(ctx context.Context, stale []apply.Ref) (*apply.Result, error)
	}
	// HealthChecker waits until the objects are healthy or ctx ends;
	// waiting is called once, before the wait, only when some object is
	// not healthy yet. Its error is a *HealthError when objects stayed
	// unhealthy.
	HealthChecker interface {
		Wait(ctx context.Context, refs []apply.Ref, waiting func(msg string)) error
	}
	// Notifier reports a sync outside the cluster (commit statuses):
	// Started once the revision is fetched, Notify with the outcome. Its
	// failure never fails the sync.
	Notifier interface {
		Started(ctx context.Context, gs *v1alpha1.GitSync, revision string)
		Notify(ctx context.Context, gs *v1alpha1.GitSync, o *Outcome) error
	}
)

// Rendered is a render ready for the seal check: objects holding tokens,
// the file each came from, the sealed values, which key opened how many
// files, and a redactor for every value decrypted.
type Rendered struct {
	Objects  []*unstructured.Unstructured
	Sources  []string
	Sealed   []crypto.SealedValue
	KeyUsage map[string]int
	// Owners names the Helm release that rendered each object, or "";
	// Releases are the releases rendered.
	Owners   []string
	Releases []render.Release
	// Widened is where the seal check let a release's sealed values land
	// outside Secrets (sealcheck.Result.Widened); the checker sets it.
	Widened []string
	// Redact masks every decrypted value in err.
	Redact func(err error) error
}

// Stages are the stages one sync runs, bound to one GitSync.
type Stages struct {
	Depends DependencyChecker // runs only when spec.dependsOn names some
	Source  Source
	Verify  Verifier
	Render  Renderer
	Check   SealChecker
	Apply   Applier
	Health  HealthChecker // nil: spec.wait is false
	Notify  Notifier      // nil: no spec.commitStatus
	// Timeout bounds the stages from source to prune (spec.timeout);
	// 0 means none.
	Timeout time.Duration
	// HealthTimeout bounds the health wait (spec.timeout).
	HealthTimeout time.Duration
	// Waiting is told when the health stage starts waiting.
	Waiting func(msg string)
}

// Stage names, as the metrics and logs show them.
const (
	StageDepends   = "dependencies"
	StageSource    = "source"
	StageVerify    = "verify"
	StageRender    = "render"
	StageSealCheck = "sealcheck"
	StageApply     = "apply"
	StagePrune     = "prune"
	StageHealth    = "health"
	StageNotify    = "notify"
	// StagePending posts the pending commit status of a fetched revision.
	StagePending = "pending"
)

// Outcome is what one sync did, whatever stage it stopped at.
type Outcome struct {
	Revision string // fetched commit; "" when the fetch failed
	Signer   string // who signed it, when spec.verify is set
	Applied  *apply.Result
	Pruned   *apply.Result
	// Inventory is what the GitSync now owns in the cluster: what was
	// applied, and what prune could not delete. Nil unless apply ran.
	Inventory []apply.Ref
	KeyUsage  map[string]int
	Unbound   []string
	Releases  []v1alpha1.HelmReleaseStatus
	// Err is the first failure, classified; nil on success.
	Err *SyncError
	// NotifyErr is the notify stage's failure, which leaves Err alone;
	// Notified says what it posted ("" when nothing).
	NotifyErr error
	Notified  string
	// Durations of the stages that ran, in order.
	Durations []StageDuration
	// Digest is the applier's digest once apply and prune succeeded (see
	// resume.go).
	Digest string

	// Author (name) and Subject (first line) of the fetched commit.
	Author, Subject string
}

// StageDuration is how long one stage took.
type StageDuration struct {
	Stage    string
	Duration time.Duration
}

// Run runs the stages in order for gs, stopping at the first failure, and
// returns the outcome. Nothing is pruned unless every stage before pruning
// succeeded; notify runs whatever happened.
func (s *Stages) Run(ctx context.Context, gs *v1alpha1.GitSync) *Outcome {
	o := &Outcome{}
	o.Err = s.run(ctx, gs, o)
	if s.Notify != nil {
		mark := time.Now()
		o.NotifyErr = s.Notify.Notify(ctx, gs, o)
		o.Durations = append(o.Durations, StageDuration{StageNotify, time.Since(mark)})
	}
	return o
}

func (s *Stages) run(parent context.Context, gs *v1alpha1.GitSync, o *Outcome) *SyncError {
	ctx, cancel := parent, context.CancelFunc(func() {})
	if s.Timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, s.Timeout)
	}
	defer cancel()
	mark := time.Now()
	done := func(stage string) {
		now := time.Now()
		o.Durations = append(o.Durations, StageDuration{stage, now.Sub(mark)})
		mark = now
	}

	if s.Depends != nil && len(gs.Spec.DependsOn) > 0 {
		err := s.Depends.Check(ctx, gs)
		done(StageDepends)
		if err != nil {
			return classify(StageDepends, err)
		}
	}
	rev, err := s.Source.Fetch(ctx, gs)
	done(StageSource)
	if err != nil {
		return classify(StageSource, err)
	}
	o.Revision, o.Author, o.Subject = rev.SHA, rev.Author, rev.Subject
	if s.Notify != nil {
		s.Notify.Started(parent, gs, rev.SHA)
		done(StagePending)
	}
	if o.Signer, err = s.Verify.Verify(ctx, gs, rev); err != nil {
		done(StageVerify)
		return classify(StageVerify, err)
	}
	done(StageVerify)

	rendered, err := s.Render.Render(ctx, gs, rev)
	done(StageRender)
	if err != nil {
		return classify(StageRender, err)
	}
	redact := rendered.Redact
	fail := func(stage string, err error) *SyncError { return classify(stage, redact(err)) }
	o.KeyUsage = rendered.KeyUsage
	o.Unbound, err = s.Check.Check(gs, rendered)
	done(StageSealCheck)
	if err != nil {
		return fail(StageSealCheck, fmt.Errorf("revision %s: %w", short(rev.SHA), err))
	}
	o.Releases = releaseStatus(rendered.Releases, rendered.Widened)

	previous := inventoryRefs(&gs.Status)
	if len(rendered.Objects) == 0 && len(previous) > 0 && !gs.Spec.AllowEmpty {
		return classify(StageRender, &emptyRenderError{path: displayPath(gs.Spec.Path), rev: rev.SHA, previous: len(previous)})
	}

	files := newSources(rendered.Objects, rendered.Sources)
	objects := rendered.Objects
	rendered = nil // the only copy of the render besides objects; let it go
	s.resume(ctx, gs, rev.SHA, objects)
	o.Applied, err = s.Apply.Apply(ctx, objects)
	objects = nil
	done(StageApply)
	if err != nil {
		o.Applied = nil
		err = files.nameFiles(err, targetNamespace(gs))
		return fail(StageApply, fmt.Errorf("applying revision %s: %w", short(rev.SHA), err))
	}
	o.Inventory = o.Applied.Inventory

	if stale := apply.Stale(previous, o.Inventory); gs.Spec.PruneEnabled() && len(stale) > 0 {
		o.Pruned, err = s.Apply.Prune(ctx, stale)
		done(StagePrune)
		if err != nil {
			// Keep what could not be deleted in the inventory, so the
			// next sync tries again.
			o.Inventory = append(append([]apply.Ref{}, o.Inventory...), notDeleted(stale, o.Pruned)...)
			apply.SortRefs(o.Inventory)
			return fail(StagePrune, fmt.Errorf("pruning objects removed from Git: %w", err))
		}
	}
	o.Digest = s.appliedDigest()

	if s.Health == nil {
		return nil
	}
	cancel()
	hctx, cancelHealth := context.WithTimeout(parent, s.HealthTimeout)
	defer cancelHealth()
	waiting := s.Waiting
	if waiting == nil {
		waiting = func(string) {}
	}
	err = s.Health.Wait(hctx, o.Inventory, waiting)
	done(StageHealth)
	if err != nil {
		return fail(StageHealth, err)
	}
	return nil
}

// emptyRenderError is a render of no objects where the last sync applied
// some and spec.allowEmpty is false.
type emptyRenderError struct {
	path     string
	rev      string
	previous int
}

func (e *emptyRenderError) Error() string {
	return fmt.Sprintf("path %q of revision %s rendered no objects, and the last sync applied %d: nothing was applied or pruned; set spec.allowEmpty to true if removing everything is intended",
		e.path, short(e.rev), e.previous)
}
