package controller

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/notify"
)

// notifiers keeps one notify.Notifier per GitSync, so a status already
// posted is not posted again at every interval.
type notifiers struct {
	hosts    []string       // allowed API hosts besides the Git host
	networks []netip.Prefix // allowed despite loopback, link-local, metadata

	mu sync.Mutex
	m  map[types.NamespacedName]notifierEntry
}

type notifierEntry struct {
	config   [32]byte // hash of what the notifier was built from
	notifier *notify.Notifier
}

func (n *notifiers) get(gs *v1alpha1.GitSync, token []byte) (*notify.Notifier, error) {
	cs := gs.Spec.CommitStatus
	config := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s", cs.Provider, cs.APIURL, gs.Spec.URL, token))
	key := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.m[key]; ok && e.config == config {
		return e.notifier, nil
	}
	notifier, err := notify.New(n.config(gs, token))
	if err != nil {
		return nil, err
	}
	if n.m == nil {
		n.m = map[types.NamespacedName]notifierEntry{}
	}
	n.m[key] = notifierEntry{config: config, notifier: notifier}
	return notifier, nil
}

// config is where gs's commit statuses go, under the agent's host rules.
func (n *notifiers) config(gs *v1alpha1.GitSync, token []byte) notify.Config {
	cs := gs.Spec.CommitStatus
	return notify.Config{
		Provider: cs.Provider, RepoURL: gs.Spec.URL, APIURL: cs.APIURL, Token: string(token),
		AllowedHosts: n.hosts, Addresses: notify.AddressPolicy{Allowed: n.networks},
	}
}

func (n *notifiers) forget(key types.NamespacedName) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, key)
}

// postCommitStatus reports the sync's outcome on the attempted revision.
// A failure to report is an event and a log line; it never fails the sync.
func (r *Reconciler) postCommitStatus(ctx context.Context, gs *v1alpha1.GitSync, serr *stageError) {
	cs, revision := gs.Spec.CommitStatus, gs.Status.LastAttemptedRevision
	if cs == nil || revision == "" {
		return
	}
	err := func() error {
		secret, err := r.secret(ctx, gs, cs.SecretRef.Name, "spec.commitStatus.secretRef")
		if err != nil {
			return err
		}
		notifier, err := r.notifiers.get(gs, secret.Data["token"])
		if err != nil {
			return err
		}
		status := notify.Status{Revision: revision, State: notify.Success, Context: "seal/" + gs.Namespace + "/" + gs.Name}
		if ready := readyMessage(gs); serr != nil {
			status.State, status.Description = notify.Failure, serr.reason+": "+ready
		} else {
			status.Description = ready
		}
		return notifier.Post(ctx, status)
	}()
	if err != nil {
		log.FromContext(ctx).Info("commit status not sent", "error", err.Error())
		r.Recorder.Eventf(gs, nil, corev1.EventTypeWarning, "CommitStatusFailed", "Notify", "%s", err.Error())
	}
}
