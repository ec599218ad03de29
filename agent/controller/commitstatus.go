package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/notify"
)

// commitNotifier reports one sync of a GitSync as commit statuses on the
// Git host, with the token of spec.commitStatus.secretRef:
//
//   - Started: a revision new to this status context gets pending; a
//     revision whose status is still open (pending, never finished: its
//     sync was cut short) gets superseded, naming the new one, first.
//   - Notify: success once applied and healthy, failure with the reason
//     (messages are already redacted), or nothing when the sync was cut
//     short by a newer sync request (the next sync supersedes it or
//     finishes it). A final state the Git host did not take is kept and
//     posted first on the next sync, so a host that was down learns each
//     revision's true outcome, not "superseded".
//
// Posting is bounded (notify.DefaultRetry): after the first failed post
// of a sync the rest are skipped, so a forge that is down delays a sync by
// one post's retries at most, and never fails it. What was not posted is
// posted on the next sync, which comes within retryInterval.
type commitNotifier struct {
	secrets secrets
	record  *record
	config  func(username, token []byte) notify.Config
	context string // notify.StatusContext of the GitSync

	notifier *notify.Notifier
	err      error // the first failure of this sync
	posted   string
}

// invalidConfigError is a commit status config that cannot work: retrying
// does not help until the spec or the Secret changes.
type invalidConfigError struct{ err error }

func (e *invalidConfigError) Error() string { return e.err.Error() }
func (e *invalidConfigError) Unwrap() error { return e.err }

// load builds the notifier once per sync.
func (n *commitNotifier) load(ctx context.Context, gs *v1alpha1.GitSync) (*notify.Notifier, error) {
	if n.notifier != nil || n.err != nil {
		return n.notifier, n.err
	}
	secret, err := n.secrets.get(ctx, gs, gs.Spec.CommitStatus.SecretRef.Name, "spec.commitStatus.secretRef")
	if err != nil {
		n.err = &invalidConfigError{err}
		return nil, n.err
	}
	if n.notifier, err = n.record.notifierFor(n.config(secret.Data["username"], secret.Data["token"])); err != nil {
		n.err = &invalidConfigError{err}
		return nil, n.err
	}
	return n.notifier, nil
}

// post sends s unless a post of this sync failed already.
func (n *commitNotifier) post(ctx context.Context, s notify.Status) bool {
	if n.err != nil {
		return false
	}
	if err := n.notifier.Post(ctx, s); err != nil {
		n.err = err
		return false
	}
	n.posted = fmt.Sprintf("%s posted on %s as %s", s.State, short(s.Revision), s.Context)
	return true
}

// maxUnposted bounds the final states kept for a Git host that is down;
// the oldest are dropped first.
const maxUnposted = 10

// catchUp posts the final states the Git host did not take before, oldest
// first, and reports whether all went.
func (n *commitNotifier) catchUp(ctx context.Context) bool {
	n.record.mu.Lock()
	todo := n.record.unposted
	n.record.mu.Unlock()
	for len(todo) > 0 && n.post(ctx, todo[0]) {
		n.setOpen(todo[0].Revision, "")
		todo = todo[1:]
	}
	n.record.mu.Lock()
	n.record.unposted = todo
	n.record.mu.Unlock()
	return len(todo) == 0
}

// keep remembers a final state the Git host did not take.
func (n *commitNotifier) keep(s notify.Status) {
	n.record.mu.Lock()
	defer n.record.mu.Unlock()
	kept := slices.DeleteFunc(n.record.unposted, func(u notify.Status) bool { return u.Revision == s.Revision })
	n.record.unposted = append(kept, s)
	if len(n.record.unposted) > maxUnposted {
		n.record.unposted = n.record.unposted[len(n.record.unposted)-maxUnposted:]
	}
}

// setOpen sets the record's open revision to rev when it is was.
func (n *commitNotifier) setOpen(was, rev string) {
	n.record.mu.Lock()
	defer n.record.mu.Unlock()
	if n.record.open == was {
		n.record.open = rev
	}
}

func (n *commitNotifier) Started(ctx context.Context, gs *v1alpha1.GitSync, rev string) {
	notifier, err := n.load(ctx, gs)
	if err != nil {
		return
	}
	n.catchUp(ctx)
	n.record.mu.Lock()
	open := n.record.open
	n.record.mu.Unlock()
	if open != "" && open != rev {
		superseded := notify.Status{Revision: open, State: notify.Superseded, Context: n.context,
			Description: "superseded by " + short(rev) + " before its sync finished"}
		if n.post(ctx, superseded) {
			n.setOpen(open, "")
		}
	}
	last, ok := notifier.Posted(n.context)
	switch {
	case ok && last.Revision == rev:
		return // a resync: this revision was reported already
	case !ok && rev == gs.Status.LastAppliedRevision:
		return // the agent restarted; the final state is posted again at the end
	}
	n.setOpen(open, rev)
	n.post(ctx, notify.Status{Revision: rev, State: notify.Pending, Context: n.context, Description: "syncing revision " + short(rev)})
}

func (n *commitNotifier) Notify(ctx context.Context, gs *v1alpha1.GitSync, o *Outcome) error {
	defer func() { o.Notified = n.posted }()
	if o.Revision == "" || o.superseded() {
		return n.err
	}
	if _, err := n.load(ctx, gs); n.notifier == nil {
		return err // no notifier: nothing to keep for later either
	}
	status := notify.Status{Revision: o.Revision, State: notify.Success, Context: n.context, Description: readyMessage(o)}
	if o.Err != nil {
		status.State, status.Description = notify.Failure, o.Err.Reason+": "+o.Err.Error()
	}
	if n.post(ctx, status) {
		n.setOpen(o.Revision, "")
	} else if n.err != nil {
		n.keep(status)
	}
	return n.err
}

// recordCommitStatus sets the CommitStatusReported condition and counts
// failed posts. A sync that posted nothing (a resync of a revision already
// reported) leaves the condition as it was.
func (r *Reconciler) recordCommitStatus(gs *v1alpha1.GitSync, o *Outcome) {
	if gs.Spec.CommitStatus == nil {
		meta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionCommitStatusReported)
		return
	}
	switch {
	case o.NotifyErr != nil:
		reason := v1alpha1.ReasonPostFailed
		var invalid *invalidConfigError
		if errors.As(o.NotifyErr, &invalid) {
			reason = v1alpha1.ReasonInvalidConfig
		}
		setCondition(gs, v1alpha1.ConditionCommitStatusReported, metav1.ConditionFalse, reason, o.NotifyErr.Error())
		r.Metrics.commitStatusFailed(gs, reason)
	case o.Notified != "":
		setCondition(gs, v1alpha1.ConditionCommitStatusReported, metav1.ConditionTrue, v1alpha1.ReasonPosted, o.Notified)
	}
}

// clusterName is the name commit status contexts give this cluster.
func (r *Reconciler) clusterName() string {
	if r.ClusterName == "" {
		return "default"
	}
	return r.ClusterName
}
