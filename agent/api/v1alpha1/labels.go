package v1alpha1

// Labels the agent sets on every object it applies, naming the GitSync
// that owns it. Label values are limited to 63 characters, hence the same
// limit on GitSync names.
const (
	LabelGitSyncName      = "seal.dev/gitsync-name"
	LabelGitSyncNamespace = "seal.dev/gitsync-namespace"
)

// AnnotationPrune set to PruneDisabled on an object (in Git or in the
// cluster) keeps the agent from ever deleting it.
const (
	AnnotationPrune = "seal.dev/prune"
	PruneDisabled   = "disabled"
)

// OwnerLabels are the labels that mark an object as applied by gs.
func (gs *GitSync) OwnerLabels() map[string]string {
	return map[string]string{
		LabelGitSyncName:      gs.Name,
		LabelGitSyncNamespace: gs.Namespace,
	}
}

// IsPruneDisabled reports whether annotations forbid pruning the object.
func IsPruneDisabled(annotations map[string]string) bool {
	return annotations[AnnotationPrune] == PruneDisabled
}

// AnnotationSyncRequested on a GitSync asks for a sync now, without waiting
// for the interval: any change of its value triggers one (for example
// `kubectl annotate gitsync/NAME seal.dev/sync-requested="$(date +%s)" --overwrite`).
const AnnotationSyncRequested = "seal.dev/sync-requested"

// MaxSyncRequestLength bounds the sync-requested value the agent copies
// into status.lastHandledSyncRequest; a longer one still triggers a sync
// but is not recorded.
const MaxSyncRequestLength = 256

// LabelShard on a GitSync names the agent shard that syncs it: the agent
// started with --shard NAME watches only GitSyncs labelled
// seal.dev/shard=NAME, and an agent without --shard (the default shard)
// only those without the label.
const LabelShard = "seal.dev/shard"
