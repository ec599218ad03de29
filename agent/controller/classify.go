package controller

import (
	"errors"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/crypto"
)

// SyncError is a failed sync: the stage that failed, the condition
// reason, whether retrying can help, and an error whose message names the
// file or object and says what to do.
type SyncError struct {
	Stage  string
	Reason string
	// Stalled: retrying cannot fix it; the spec, a Secret it names, the
	// key ring or the repository must change first.
	Stalled bool
	err     error
}

func (e *SyncError) Error() string { return e.err.Error() }
func (e *SyncError) Unwrap() error { return e.err }

// classify is the one place a stage's error becomes a condition reason
// and a Stalled verdict.
func classify(stage string, err error) *SyncError {
	e := &SyncError{Stage: stage, err: err}
	var hostErr *hostRefusedError
	var decErr *decryptError
	var emptyErr *emptyRenderError
	var cycleErr *cycleError
	switch {
	case errors.As(err, &cycleErr):
		e.Reason, e.Stalled = v1alpha1.ReasonDependencyCycle, true
	case stage == StageDepends:
		e.Reason = v1alpha1.ReasonDependencyNotReady
	case errors.Is(err, errSuperseded):
		e.Reason = v1alpha1.ReasonSuperseded
	case errors.As(err, &hostErr):
		e.Reason, e.Stalled = v1alpha1.ReasonOutboundHostRefused, true
	case stage == StageSource:
		e.Reason = v1alpha1.ReasonGitFetchFailed
		// A fetch over the size cap is stalled too: fetching again
		// downloads the same bytes up to the cap, so the GitSync waits
		// its interval (not the minute of a retry) for the repository or
		// the agent's --max-fetch-size to change.
		e.Stalled = errors.Is(err, source.ErrInvalidSecret) || errors.Is(err, source.ErrInvalidURL) ||
			errors.Is(err, source.ErrFetchTooLarge)
	case stage == StageVerify:
		e.Reason = v1alpha1.ReasonVerificationFailed
	case errors.As(err, &emptyErr):
		e.Reason = v1alpha1.ReasonEmptyRender
	case errors.As(err, &decErr):
		e.Reason = v1alpha1.ReasonDecryptionFailed
		// No key of the ring opens the file, or a Secret of keys that
		// does not parse: a new key or a new Secret must come first.
		e.Stalled = errors.Is(err, crypto.ErrNoMatchingIdentity) || decErr.invalidKeys
	case stage == StageRender && errors.Is(err, render.ErrValuesBinding):
		e.Reason, e.Stalled = v1alpha1.ReasonSealViolation, true
	case stage == StageRender:
		e.Reason = v1alpha1.ReasonRenderFailed
	case stage == StageSealCheck:
		e.Reason, e.Stalled = v1alpha1.ReasonSealViolation, true
	case stage == StageApply:
		e.Reason = v1alpha1.ReasonApplyFailed
	case stage == StagePrune:
		e.Reason = v1alpha1.ReasonPruneFailed
	case stage == StageHealth:
		e.Reason = v1alpha1.ReasonHealthCheckFailed
	default:
		e.Reason = v1alpha1.ReasonInvalidSpec
	}
	return e
}

// hostRefusedError is a Git or commit status host the agent's outbound
// rules refuse.
type hostRefusedError struct{ err error }

func (e *hostRefusedError) Error() string { return e.err.Error() }
func (e *hostRefusedError) Unwrap() error { return e.err }
