package v1alpha1

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PruneEnabled reports whether objects that left Git are deleted (the
// default).
func (s *GitSyncSpec) PruneEnabled() bool { return s.Prune == nil || *s.Prune }

// DeletionPolicy says what deleting a GitSync does to its objects.
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the GitSync's objects with it.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyOrphan leaves them in the cluster.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// Finalizer is set on every GitSync by the agent, so that deleting one
// waits until the agent has deleted (or orphaned) its objects.
const Finalizer = "seal.dev/finalizer"

// DeletesObjectsOnDeletion reports whether deleting the GitSync deletes
// its objects: deletionPolicy Delete (the default), prune on, not
// suspended.
func (s *GitSyncSpec) DeletesObjectsOnDeletion() bool {
	return s.DeletionPolicy != DeletionPolicyOrphan && s.PruneEnabled() && !s.Suspend
}

// WaitEnabled reports whether a sync waits for the applied objects to be
// healthy (the default).
func (s *GitSyncSpec) WaitEnabled() bool { return s.Wait == nil || *s.Wait }

// IntervalOrDefault is spec.interval, or DefaultInterval when unset.
func (s *GitSyncSpec) IntervalOrDefault() time.Duration {
	if s.Interval.Duration <= 0 {
		return DefaultInterval
	}
	return s.Interval.Duration
}

// TimeoutOrDefault is spec.timeout, or DefaultTimeout when unset.
func (s *GitSyncSpec) TimeoutOrDefault() time.Duration {
	if s.Timeout == nil || s.Timeout.Duration <= 0 {
		return DefaultTimeout
	}
	return s.Timeout.Duration
}

// OrDefault is r, or the branch DefaultBranch when r is empty.
func (r GitRef) OrDefault() GitRef {
	if r == (GitRef{}) {
		return GitRef{Branch: DefaultBranch}
	}
	return r
}

// String describes the ref for messages: branch "main", tag "v1",
// commit "0123…" (the default branch when empty).
func (r GitRef) String() string {
	r = r.OrDefault()
	switch {
	case r.Commit != "":
		return fmt.Sprintf("commit %q", r.Commit)
	case r.Tag != "":
		return fmt.Sprintf("tag %q", r.Tag)
	default:
		return fmt.Sprintf("branch %q", r.Branch)
	}
}

// ShortRevisionLength is how many characters of a commit SHA
// status.shortRevision keeps.
const ShortRevisionLength = 12

// SetLastAppliedRevision records sha as the last applied revision, in full
// and shortened for display.
func (s *GitSyncStatus) SetLastAppliedRevision(sha string) {
	s.LastAppliedRevision = sha
	s.ShortRevision = sha[:min(len(sha), ShortRevisionLength)]
}

// String is "Kind.group/version namespace/name" (without the parts that are
// empty), for messages.
func (o ObjectRef) String() string {
	var b strings.Builder
	b.WriteString(o.Kind)
	if o.Group != "" {
		b.WriteString("." + o.Group)
	}
	b.WriteString("/" + o.Version + " ")
	if o.Namespace != "" {
		b.WriteString(o.Namespace + "/")
	}
	b.WriteString(o.Name)
	return b.String()
}

// ParseObjectRef reads what ObjectRef.String writes.
func ParseObjectRef(s string) (ObjectRef, error) {
	bad := fmt.Errorf("%q is not \"Kind.group/version namespace/name\"", s)
	typ, name, ok := strings.Cut(s, " ")
	kindGroup, version, okVersion := strings.Cut(typ, "/")
	if !ok || !okVersion {
		return ObjectRef{}, bad
	}
	o := ObjectRef{Version: version, Name: name}
	o.Kind, o.Group, _ = strings.Cut(kindGroup, ".")
	if ns, n, namespaced := strings.Cut(name, "/"); namespaced {
		o.Namespace, o.Name = ns, n
		if ns == "" {
			return ObjectRef{}, bad
		}
	}
	if o.Kind == "" || o.Version == "" || o.Name == "" || strings.ContainsAny(o.Name, "/ ") || strings.Contains(o.Namespace, " ") {
		return ObjectRef{}, bad
	}
	return o, nil
}

// Key is the namespace/name of the GitSync d names, from a GitSync in
// namespace from (the default when d names none).
func (d DependencyReference) Key(from string) types.NamespacedName {
	ns := d.Namespace
	if ns == "" {
		ns = from
	}
	return types.NamespacedName{Namespace: ns, Name: d.Name}
}

// ReadyAtLatest reports whether gs is Ready at its latest revision: its
// status observes its current generation, Ready is True for that
// generation, and the last applied revision is the last one fetched.
// Otherwise it says why not.
func (gs *GitSync) ReadyAtLatest() (bool, string) {
	var ready *metav1.Condition
	for i := range gs.Status.Conditions {
		if gs.Status.Conditions[i].Type == ConditionReady {
			ready = &gs.Status.Conditions[i]
		}
	}
	switch {
	case gs.Status.ObservedGeneration != gs.Generation:
		return false, fmt.Sprintf("generation %d is not synced yet", gs.Generation)
	case ready == nil:
		return false, "it has no Ready condition yet"
	case ready.Status != metav1.ConditionTrue:
		return false, fmt.Sprintf("it is Ready=%s (%s)", ready.Status, ready.Reason)
	case ready.ObservedGeneration != gs.Generation:
		return false, fmt.Sprintf("its Ready condition is for generation %d, not %d", ready.ObservedGeneration, gs.Generation)
	case gs.Status.LastAppliedRevision == "" || gs.Status.LastAppliedRevision != gs.Status.LastAttemptedRevision:
		return false, "it has not applied the latest revision it fetched"
	}
	return true, ""
}
