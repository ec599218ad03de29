package controller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/go-git/go-git/v5/plumbing/transport"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/decryptcache"
	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/agent/notify"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/sealcheck"
	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/agent/verify"
	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// The concrete stages the agent runs (the pipeline sees them only through
// the interfaces of pipeline.go).

// loopback is always allowed for Git: an agent reaching its own pod sends
// credentials nowhere else. Commit statuses get no such exception.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// secrets reads the Secrets a GitSync names, in its namespace: as its
// service account when it has one, so a GitSync cannot make the agent
// read (and send to a Git server) a Secret its own account may not read.
type secrets struct {
	reader client.Reader
	as     string // the impersonated account, for messages; "" for the agent
}

func (s secrets) get(ctx context.Context, gs *v1alpha1.GitSync, name, field string) (*corev1.Secret, error) {
	as := ""
	if s.as != "" {
		as = " as ServiceAccount " + s.as
	}
	var secret corev1.Secret
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: gs.Namespace, Name: name}, &secret); err != nil {
		if apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("reading Secret %s/%s named by %s%s: forbidden: grant that account get on the Secret", gs.Namespace, name, field, as)
		}
		return nil, fmt.Errorf("reading Secret %s/%s named by %s%s: %w", gs.Namespace, name, field, as, err)
	}
	return &secret, nil
}

// gitSource checks the outbound host rules, reads the credentials of
// spec.secretRef and fetches spec.ref into the GitSync's git cache.
type gitSource struct {
	secrets  secrets
	fetcher  *source.Fetcher
	networks []netip.Prefix
	// commitStatus is the commit status API's config, checked with the
	// Git host before anything is fetched; nil without spec.commitStatus.
	commitStatus *notify.Config
}

func (s *gitSource) Fetch(ctx context.Context, gs *v1alpha1.GitSync) (*source.Revision, error) {
	if err := s.checkHosts(ctx, gs); err != nil {
		return nil, &hostRefusedError{err}
	}
	var auth source.Auth
	if gs.Spec.SecretRef != nil {
		secret, err := s.secrets.get(ctx, gs, gs.Spec.SecretRef.Name, "spec.secretRef")
		if err != nil {
			return nil, err
		}
		if auth, err = source.AuthFromSecret(secret.Namespace+"/"+secret.Name, secret.Data); err != nil {
			return nil, err
		}
	}
	r := gs.Spec.Ref.OrDefault()
	return s.fetcher.Fetch(ctx, gs.Namespace+"/"+gs.Name, gs.Spec.URL, source.Ref{Branch: r.Branch, Tag: r.Tag, Commit: r.Commit}, auth)
}

// checkHosts refuses, before anything is fetched, a GitSync whose Git host
// resolves to a link-local, metadata, unspecified or multicast address, or
// whose commit statuses (and token) would go to a host other than the Git
// host (unless --commit-status-hosts names it) or to an address the rules
// refuse. The check resolves names itself; the commit status client checks
// again on the address it dials.
func (s *gitSource) checkHosts(ctx context.Context, gs *v1alpha1.GitSync) error {
	ep, err := transport.NewEndpoint(gs.Spec.URL)
	if err == nil && ep.Host != "" {
		git := notify.AddressPolicy{Allowed: append(append([]netip.Prefix{}, s.networks...), loopback...)}
		if err := git.CheckAddresses(ctx, ep.Host); err != nil {
			return fmt.Errorf("spec.url: Git host %s: %w", ep.Host, err)
		}
	}
	if s.commitStatus == nil {
		return nil
	}
	// Only a refused host fails the sync; any other problem of the
	// commit status config shows on the CommitStatusReported condition.
	if err := notify.Check(ctx, *s.commitStatus); errors.Is(err, notify.ErrHostRefused) {
		return fmt.Errorf("spec.commitStatus: %w", err)
	}
	return nil
}

// commitVerifier is the verify stage: when spec.verify is set, the fetched
// commit (with mode AllSinceLastApplied, every commit since the last
// applied revision too) must carry a valid signature by a key of the
// Secret it names, or the sync stops before anything is rendered, applied
// or pruned.
type commitVerifier struct{ secrets secrets }

func (v *commitVerifier) Verify(ctx context.Context, gs *v1alpha1.GitSync, rev *source.Revision) (string, error) {
	if gs.Spec.Verify == nil {
		return "", nil
	}
	secret, err := v.secrets.get(ctx, gs, gs.Spec.Verify.SecretRef.Name, "spec.verify.secretRef")
	if err != nil {
		return "", err
	}
	keys, err := verify.ParseKeys("Secret "+secret.Namespace+"/"+secret.Name, secret.Data)
	if err != nil {
		return "", err
	}
	if rev.Commit == nil {
		return "", errors.New("commit " + rev.SHA + ": no commit object to verify")
	}
	since := ""
	if gs.Spec.Verify.Mode == v1alpha1.VerifyAllSinceLastApplied {
		since = gs.Status.LastAppliedRevision
	}
	signer, err := keys.Range(rev.Commit, since)
	if err != nil {
		return "", err
	}
	return signer.String(), nil
}

// renderer renders spec.path, opening SOPS files with the GitSync's
// identities (spec.decryption.secretRef) or the agent's key ring.
type renderer struct {
	secrets       secrets
	keys          *keyring.Store
	maxFileSize   int64
	maxRenderSize int64
	charts        *helm.Fetcher
	capabilities  *capabilities
	opened        *decryptcache.Cache // nil: decrypt every file
	parsed        *render.ParseCache  // nil: decode every file
}

func (r *renderer) Render(ctx context.Context, gs *v1alpha1.GitSync, rev *source.Revision) (*Rendered, error) {
	ring, err := r.ring(ctx, gs)
	if err != nil {
		return nil, err
	}
	dec := &decryptor{ring: ring, cache: r.opened,
		scope: decryptcache.Scope{Namespace: gs.Namespace, Name: gs.Name, UID: string(gs.UID)}}
	out, err := render.Render(ctx, rev.FS, render.Options{
		Path:                  gs.Spec.Path,
		Decryptor:             dec,
		IsEncrypted:           crypto.IsEncrypted,
		AllowPlaintextSecrets: gs.Spec.AllowPlaintextSecrets,
		MaxFileSize:           r.maxFileSize,
		MaxTotalSize:          r.maxRenderSize,
		Charts:                r.charts,
		ChartCredentials:      r.chartCredentials(gs),
		Capabilities:          r.capabilities.get,
		Parsed:                r.parsed,
		CacheScope:            gs.Namespace + "/" + gs.Name + "/" + string(gs.UID),
	})
	if err != nil {
		// Whatever failed, no decrypted value leaves in the message.
		return nil, dec.redactor().Error(err)
	}
	return &Rendered{
		Objects: out.Objects, Sources: out.Sources, Sealed: out.Sealed, KeyUsage: out.KeyUsage,
		Owners: out.Owners, Releases: out.Releases,
		Redact: func(err error) error { return dec.redactor().Error(err) },
	}, nil
}

// ring is the GitSync's own identities when it names a Secret, else the
// agent's key ring. Its failures are decryption failures.
func (r *renderer) ring(ctx context.Context, gs *v1alpha1.GitSync) (*keys.Ring, error) {
	if d := gs.Spec.Decryption; d != nil && d.SecretRef != nil {
		secret, err := r.secrets.get(ctx, gs, d.SecretRef.Name, "spec.decryption.secretRef")
		if err != nil {
			return nil, &decryptError{err: err}
		}
		ring, err := keyring.FromSecret(secret)
		if err != nil {
			return nil, &decryptError{err: err, invalidKeys: true}
		}
		return ring, nil
	}
	ring, err := r.keys.Ring(ctx)
	if err != nil {
		return nil, &decryptError{err: err}
	}
	return ring, nil
}

// sealChecker runs agent/sealcheck on the final objects.
type sealChecker struct{}

func (sealChecker) Check(gs *v1alpha1.GitSync, r *Rendered) ([]string, error) {
	checked, err := sealcheck.Check(r.Objects, r.Sources, r.Sealed, sealcheck.Options{
		DefaultNamespace:      targetNamespace(gs),
		AllowPlaintextSecrets: gs.Spec.AllowPlaintextSecrets,
		AllowUnbound:          gs.Spec.Decryption != nil && gs.Spec.Decryption.AllowUnbound,
		Owners:                r.Owners,
		Widen:                 widenings(r.Releases),
	})
	if err != nil {
		return nil, err
	}
	r.Widened = checked.Widened
	return checked.Unbound, nil
}
