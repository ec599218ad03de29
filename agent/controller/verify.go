package controller

import (
	"context"
	"errors"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/agent/verify"
)

// verifyCommit is the verify stage: when spec.verify is set, the fetched
// commit (with mode AllSinceLastApplied, every commit since the last
// applied revision too) must carry a valid signature by a key of the Secret it names
// (read as the GitSync's service account), or the sync stops before
// anything is rendered, applied or pruned. The signer is recorded in the
// status.
func (r *Reconciler) verifyCommit(ctx context.Context, gs *v1alpha1.GitSync, rev *source.Revision) *stageError {
	gs.Status.VerifiedSigner = ""
	if gs.Spec.Verify == nil {
		return nil
	}
	secret, err := r.secret(ctx, gs, gs.Spec.Verify.SecretRef.Name, "spec.verify.secretRef")
	if err != nil {
		return fail(v1alpha1.ReasonVerificationFailed, err)
	}
	keys, err := verify.ParseKeys("Secret "+secret.Namespace+"/"+secret.Name, secret.Data)
	if err != nil {
		return fail(v1alpha1.ReasonVerificationFailed, err)
	}
	if rev.Commit == nil {
		return fail(v1alpha1.ReasonVerificationFailed, errors.New("commit "+rev.SHA+": no commit object to verify"))
	}
	since := ""
	if gs.Spec.Verify.Mode == v1alpha1.VerifyAllSinceLastApplied {
		since = gs.Status.LastAppliedRevision
	}
	signer, err := keys.Range(rev.Commit, since)
	if err != nil {
		return fail(v1alpha1.ReasonVerificationFailed, err)
	}
	gs.Status.VerifiedSigner = signer.String()
	return nil
}
