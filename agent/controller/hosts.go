package controller

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/notify"
)

// loopback is always allowed for Git: an agent reaching its own pod sends
// credentials nowhere else. Commit statuses get no such exception.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// preflight runs the checks of a GitSync's spec that need no fetch: the
// outbound host rules.
func (r *Reconciler) preflight(ctx context.Context, gs *v1alpha1.GitSync) *stageError {
	if err := r.checkHosts(ctx, gs); err != nil {
		return fail(v1alpha1.ReasonOutboundHostRefused, err)
	}
	return nil
}

// checkHosts refuses, before anything is fetched, a GitSync whose Git host
// resolves to a link-local, metadata, unspecified or multicast address, or
// whose commit statuses (and token) would go to a host other than the Git
// host (unless --commit-status-hosts names it) or to an address the rules
// refuse. The check resolves names itself; the commit status client checks
// again on the address it dials.
func (r *Reconciler) checkHosts(ctx context.Context, gs *v1alpha1.GitSync) error {
	ep, err := transport.NewEndpoint(gs.Spec.URL)
	if err == nil && ep.Host != "" {
		git := notify.AddressPolicy{Allowed: append(append([]netip.Prefix{}, r.AllowedNetworks...), loopback...)}
		if err := git.CheckAddresses(ctx, ep.Host); err != nil {
			return fmt.Errorf("spec.url: Git host %s: %w", ep.Host, err)
		}
	}
	if gs.Spec.CommitStatus == nil {
		return nil
	}
	if err := notify.Check(ctx, r.notifiers.config(gs, nil)); err != nil {
		return fmt.Errorf("spec.commitStatus: %w", err)
	}
	return nil
}
