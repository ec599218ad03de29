package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Leader election timings. A replica that is SIGKILLed stops renewing its
// Lease; another takes it once LeaseDuration has passed since the last
// renewal, trying every RetryPeriod: a failover takes at most
// LeaseDuration + RetryPeriod (17 s with these defaults) plus the new
// leader's cache sync, inside the 30 s promised. A leader that cannot renew
// within RenewDeadline (an API server unreachable for that long) stops, so
// two leaders never overlap. A replica stopped by SIGTERM releases its Lease
// at once (LeaderElectionReleaseOnCancel).
const (
	defaultLeaseDuration = 15 * time.Second
	defaultRenewDeadline = 10 * time.Second
	defaultRetryPeriod   = 2 * time.Second
)

// leaderElectionBaseID names the Lease of the default shard; it is the name
// agents used before shards existed, so an upgrade keeps one leader.
const leaderElectionBaseID = "seal-agent.seal.dev"

// LeaderTimings tune leader election (see the defaults above).
type LeaderTimings struct {
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

func defaultLeaderTimings() LeaderTimings {
	return LeaderTimings{LeaseDuration: defaultLeaseDuration, RenewDeadline: defaultRenewDeadline, RetryPeriod: defaultRetryPeriod}
}

// bindShard binds --shard and the leader election timings.
func (o *Options) bindShard(fs *pflag.FlagSet) {
	fs.StringVar(&o.Shard, "shard", o.Shard, "sync only GitSyncs labelled "+v1alpha1.LabelShard+"=NAME, with a leader election Lease of this shard's own (default: the GitSyncs without that label)")
	fs.DurationVar(&o.Leader.LeaseDuration, "leader-election-lease-duration", o.Leader.LeaseDuration, "how long after the leader's last renewal another replica may take over (a failover takes at most this plus --leader-election-retry-period)")
	fs.DurationVar(&o.Leader.RenewDeadline, "leader-election-renew-deadline", o.Leader.RenewDeadline, "how long the leader keeps trying to renew before it stops leading")
	fs.DurationVar(&o.Leader.RetryPeriod, "leader-election-retry-period", o.Leader.RetryPeriod, "how often replicas try to acquire or renew the Lease")
}

// validateShard checks --shard and the leader election timings. A shard
// name is a DNS label (lowercase letters, digits and '-', at most 63): a
// valid label value that can also name the shard's Lease.
func (o *Options) validateShard() error {
	if o.Shard != "" {
		if msgs := validation.IsDNS1123Label(o.Shard); len(msgs) > 0 {
			return fmt.Errorf("--shard %q: %s (a shard name is a lowercase DNS label, the value of the %s label of its GitSyncs)",
				o.Shard, strings.Join(msgs, "; "), v1alpha1.LabelShard)
		}
	}
	l := o.Leader
	switch {
	case l.RetryPeriod <= 0:
		return fmt.Errorf("--leader-election-retry-period must be positive")
	case l.RenewDeadline <= l.RetryPeriod:
		return fmt.Errorf("--leader-election-renew-deadline (%s) must be longer than --leader-election-retry-period (%s)", l.RenewDeadline, l.RetryPeriod)
	case l.LeaseDuration <= l.RenewDeadline:
		return fmt.Errorf("--leader-election-lease-duration (%s) must be longer than --leader-election-renew-deadline (%s)", l.LeaseDuration, l.RenewDeadline)
	}
	return nil
}

// shardSelector selects the GitSyncs of shard: labelled with it, or, for
// the default shard "", without the shard label.
func shardSelector(shard string) (labels.Selector, error) {
	op, values := selection.Equals, []string{shard}
	if shard == "" {
		op, values = selection.DoesNotExist, nil
	}
	req, err := labels.NewRequirement(v1alpha1.LabelShard, op, values)
	if err != nil {
		return nil, fmt.Errorf("shard %q: %w", shard, err)
	}
	return labels.NewSelector().Add(*req), nil
}

// leaderElectionID names the shard's Lease: every shard elects its own
// leader.
func leaderElectionID(shard string) string {
	if shard == "" {
		return leaderElectionBaseID
	}
	return "seal-agent-" + shard + ".seal.dev"
}

// configureShard makes mgrOpts cache and watch only the GitSyncs of
// opts.Shard (other shards' GitSyncs are not even listed) and elect the
// shard's own leader with opts.Leader's timings. It runs after the cache's
// namespaces are set.
//
// A GitSync relabelled into another shard leaves this agent's cache: the
// informer sees it deleted, the reconciler finds it gone and forgets it
// (record, git cache, metrics) without running its finalizer, so nothing
// it applied is deleted; the new shard's agent sees it created and syncs
// it with the same field manager and owner labels.
func configureShard(mgrOpts *manager.Options, opts Options) error {
	sel, err := shardSelector(opts.Shard)
	if err != nil {
		return err
	}
	if mgrOpts.Cache.ByObject == nil {
		mgrOpts.Cache.ByObject = map[client.Object]cache.ByObject{}
	}
	mgrOpts.Cache.ByObject[&v1alpha1.GitSync{}] = cache.ByObject{Label: sel}
	mgrOpts.LeaderElectionID = leaderElectionID(opts.Shard)
	mgrOpts.LeaseDuration = &opts.Leader.LeaseDuration
	mgrOpts.RenewDeadline = &opts.Leader.RenewDeadline
	mgrOpts.RetryPeriod = &opts.Leader.RetryPeriod
	return nil
}
