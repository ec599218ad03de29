package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/sealcheck"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// stageError is a failed sync: the condition reason, and an error whose
// message names the file or object and says what to do.
type stageError struct {
	reason string
	err    error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func fail(reason string, err error) *stageError { return &stageError{reason: reason, err: err} }

// outcome is what a sync did.
type outcome struct {
	revision  string
	applied   *apply.Result
	pruned    *apply.Result
	inventory []apply.Ref
	keyUsage  map[string]int
	unbound   []string // sealed files without a sealed identity, accepted by spec.decryption.allowUnbound
	objects   int
	stages    stageTimes
}

// stageTimes is how long each stage of a sync took, for the log.
type stageTimes struct{ fetch, render, apply, prune time.Duration }

// since returns the time since *t and resets *t to now.
func since(t *time.Time) time.Duration {
	now := time.Now()
	d := now.Sub(*t)
	*t = now
	return d
}

// sync runs the stages for gs. attempted is set as soon as the revision is
// known, also when a later stage fails. Nothing is pruned unless every
// stage before pruning succeeded.
func (r *Reconciler) sync(ctx context.Context, gs *v1alpha1.GitSync, attempted *string) (_ *outcome, serr *stageError) {
	var times stageTimes
	mark := time.Now()
	auth, err := r.gitAuth(ctx, gs)
	if err != nil {
		return nil, fail(v1alpha1.ReasonGitFetchFailed, err)
	}
	r0 := gs.Spec.Ref.OrDefault()
	ref := source.Ref{Branch: r0.Branch, Tag: r0.Tag, Commit: r0.Commit}
	rev, err := r.Fetcher.Fetch(ctx, gs.Namespace+"/"+gs.Name, gs.Spec.URL, ref, auth)
	if err != nil {
		return nil, fail(v1alpha1.ReasonGitFetchFailed, err)
	}
	*attempted = rev.SHA
	times.fetch = since(&mark)
	if verr := r.verifyCommit(ctx, gs, rev); verr != nil {
		return nil, verr
	}

	ring, err := r.decryptionRing(ctx, gs)
	if err != nil {
		return nil, fail(v1alpha1.ReasonDecryptionFailed, err)
	}
	dec := &decryptor{ring: ring}
	defer func() {
		// Whatever failed, no decrypted value leaves in the message.
		if serr != nil {
			serr.err = dec.redactor().Error(serr.err)
		}
	}()
	rendered, err := render.Render(ctx, rev.FS, render.Options{
		Path:                  gs.Spec.Path,
		Decryptor:             dec,
		IsEncrypted:           crypto.IsEncrypted,
		AllowPlaintextSecrets: gs.Spec.AllowPlaintextSecrets,
		MaxFileSize:           r.MaxFileSize,
		MaxTotalSize:          r.MaxRenderSize,
	})
	if err != nil {
		if isDecryptError(err) {
			return nil, fail(v1alpha1.ReasonDecryptionFailed, err)
		}
		return nil, fail(v1alpha1.ReasonRenderFailed, err)
	}
	checked, err := sealcheck.Check(rendered.Objects, rendered.Sources, rendered.Sealed, sealcheck.Options{
		DefaultNamespace:      targetNamespace(gs),
		AllowPlaintextSecrets: gs.Spec.AllowPlaintextSecrets,
		AllowUnbound:          gs.Spec.Decryption != nil && gs.Spec.Decryption.AllowUnbound,
	})
	if err != nil {
		return nil, fail(v1alpha1.ReasonSealViolation, fmt.Errorf("revision %s: %w", short(rev.SHA), err))
	}
	times.render = since(&mark)
	out := &outcome{revision: rev.SHA, keyUsage: rendered.KeyUsage, unbound: checked.Unbound, objects: len(rendered.Objects)}
	previous := inventoryRefs(gs.Status.Inventory)
	if len(rendered.Objects) == 0 && len(previous) > 0 && !gs.Spec.AllowEmpty {
		return nil, fail(v1alpha1.ReasonEmptyRender, fmt.Errorf(
			"path %q of revision %s rendered no objects, and the last sync applied %d: nothing was applied or pruned; set spec.allowEmpty to true if removing everything is intended",
			displayPath(gs.Spec.Path), short(rev.SHA), len(previous)))
	}

	applier, err := r.appliers.get(gs)
	if err != nil {
		return nil, fail(v1alpha1.ReasonApplyFailed, err)
	}
	files := newSources(rendered.Objects, rendered.Sources)
	out.applied, err = applier.Apply(ctx, rendered.Objects)
	rendered = nil // the only copy of the render; let it go before pruning
	if err != nil {
		err = files.nameFiles(err, targetNamespace(gs))
		return nil, fail(v1alpha1.ReasonApplyFailed, fmt.Errorf("applying revision %s: %w", short(rev.SHA), err))
	}
	out.inventory = out.applied.Inventory
	times.apply = since(&mark)
	out.stages = times

	stale := apply.Stale(previous, out.inventory)
	if !gs.Spec.PruneEnabled() || len(stale) == 0 {
		return out, nil
	}
	out.pruned, err = applier.Prune(ctx, stale)
	out.stages.prune = since(&mark)
	if err != nil {
		// Keep what could not be deleted in the inventory, so the next
		// sync tries again.
		out.inventory = append(out.inventory, notDeleted(stale, out.pruned)...)
		apply.SortRefs(out.inventory)
		return out, fail(v1alpha1.ReasonPruneFailed, fmt.Errorf("pruning objects removed from Git: %w", err))
	}
	return out, nil
}

// gitAuth reads the git credentials Secret named by spec.secretRef.
func (r *Reconciler) gitAuth(ctx context.Context, gs *v1alpha1.GitSync) (source.Auth, error) {
	if gs.Spec.SecretRef == nil {
		return source.Auth{}, nil
	}
	secret, err := r.secret(ctx, gs, gs.Spec.SecretRef.Name, "spec.secretRef")
	if err != nil {
		return source.Auth{}, err
	}
	return source.AuthFromSecret(secret.Namespace+"/"+secret.Name, secret.Data)
}

// decryptionRing is the GitSync's own identities when it names a Secret,
// else the agent's key ring.
func (r *Reconciler) decryptionRing(ctx context.Context, gs *v1alpha1.GitSync) (*keys.Ring, error) {
	if d := gs.Spec.Decryption; d != nil && d.SecretRef != nil {
		secret, err := r.secret(ctx, gs, d.SecretRef.Name, "spec.decryption.secretRef")
		if err != nil {
			return nil, err
		}
		return keyring.FromSecret(secret)
	}
	return r.Keys.Ring(ctx)
}

// secret reads a Secret of the GitSync's namespace named by field, as the
// GitSync's service account when it has one.
func (r *Reconciler) secret(ctx context.Context, gs *v1alpha1.GitSync, name, field string) (*corev1.Secret, error) {
	reader, err := r.appliers.reader(gs)
	if err != nil {
		return nil, err
	}
	as := ""
	if reader == nil {
		reader = r.APIReader
	} else {
		as = " as ServiceAccount " + r.appliers.serviceAccount(gs)
	}
	var secret corev1.Secret
	if err := reader.Get(ctx, client.ObjectKey{Namespace: gs.Namespace, Name: name}, &secret); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("reading Secret %s/%s named by %s%s: forbidden: grant that account get on the Secret", gs.Namespace, name, field, as)
		}
		return nil, fmt.Errorf("reading Secret %s/%s named by %s%s: %w", gs.Namespace, name, field, as, err)
	}
	return &secret, nil
}

// notDeleted lists the stale objects that prune did not delete.
func notDeleted(stale []apply.Ref, pruned *apply.Result) []apply.Ref {
	deleted := map[apply.Ref]bool{}
	if pruned != nil {
		for _, o := range pruned.Objects {
			if o.Action == apply.Deleted || o.Action == apply.Skipped {
				deleted[o.Ref] = true
			}
		}
	}
	var left []apply.Ref
	for _, ref := range stale {
		if !deleted[ref] {
			left = append(left, ref)
		}
	}
	return left
}

func inventoryRefs(in []v1alpha1.ObjectRef) []apply.Ref {
	out := make([]apply.Ref, len(in))
	for i, o := range in {
		out[i] = apply.Ref(o)
	}
	return out
}

func inventoryEntries(in []apply.Ref) []v1alpha1.ObjectRef {
	out := make([]v1alpha1.ObjectRef, len(in))
	for i, o := range in {
		out[i] = v1alpha1.ObjectRef(o)
	}
	return out
}

func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
