package v1alpha1

// Condition types on a GitSync.
const (
	// ConditionReady is True when the last sync applied the wanted
	// revision, False when it failed, Unknown while the first one runs.
	ConditionReady = "Ready"
	// ConditionReconciling is True while a sync is in progress.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when syncing cannot make progress until the
	// spec or a Secret it names changes (retrying will not help).
	ConditionStalled = "Stalled"
)

// Condition reasons. Every failure names the stage that failed, so alerts
// can tell a bad credential from a bad manifest.
const (
	// ReasonSucceeded: the sync applied the revision (and pruned).
	ReasonSucceeded = "Succeeded"
	// ReasonProgressing: a sync applied its objects and waits for them to
	// become healthy.
	ReasonProgressing = "Progressing"
	// ReasonSuspended: spec.suspend is true.
	ReasonSuspended = "Suspended"
	// ReasonInvalidSpec: the spec, or a Secret it names, cannot work as
	// written (missing Secret key, malformed identity).
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonGitFetchFailed: the repository or revision could not be
	// fetched (network, credentials, host key, unknown ref).
	ReasonGitFetchFailed = "GitFetchFailed"
	// ReasonRenderFailed: the directory could not be rendered into objects
	// (bad YAML, kustomize error, path not found).
	ReasonRenderFailed = "RenderFailed"
	// ReasonDecryptionFailed: an encrypted file could not be decrypted or
	// its MAC did not verify, or a Secret was not encrypted.
	ReasonDecryptionFailed = "DecryptionFailed"
	// ReasonApplyFailed: the API server refused an object.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonOutboundHostRefused: the Git URL or the commit status API
	// would send credentials to a host or address the agent's rules
	// refuse; nothing was fetched, applied or pruned.
	ReasonOutboundHostRefused = "OutboundHostRefused"
	// ReasonVerificationFailed: spec.verify is set and the fetched commit
	// carries no valid signature by a trusted key; nothing was applied or
	// pruned.
	ReasonVerificationFailed = "VerificationFailed"
	// ReasonPruneFailed: an object that left Git could not be deleted.
	ReasonPruneFailed = "PruneFailed"
	// ReasonHealthCheckFailed: objects were applied but did not become
	// healthy within spec.timeout, or one failed; the message names each.
	ReasonHealthCheckFailed = "HealthCheckFailed"
	// ReasonEmptyRender: the render held no objects and spec.allowEmpty is
	// false, so nothing was applied or pruned.
	ReasonEmptyRender = "EmptyRender"
	// ReasonSealViolation: a sealed value would have landed somewhere other
	// than a data or stringData value of the Secret it was sealed for, or a
	// Secret holds a value that was not sealed; nothing was applied or
	// pruned.
	ReasonSealViolation = "SealViolation"
	// ReasonDependencyNotReady: a GitSync named by spec.dependsOn does not
	// exist, may not be read by the service account, or is not Ready at
	// its latest revision; nothing was fetched, applied or pruned, and the
	// sync is tried again when it becomes Ready.
	ReasonDependencyNotReady = "DependencyNotReady"
	// ReasonDependencyCycle: spec.dependsOn leads back to this GitSync
	// (the message names the cycle); it is Stalled until a spec changes.
	ReasonDependencyCycle = "DependencyCycle"
	// ReasonUnboundSecrets is the reason of the Warning event of a sync
	// that applied Secrets without a sealed identity (files written by
	// the sops CLI), which seal edit or seal encrypt would bind.
	ReasonUnboundSecrets = "UnboundSecrets"
)

// The commit status condition: whether the last commit status reached the
// Git host (spec.commitStatus). It never changes Ready: a forge that is down
// does not fail a sync.
const (
	// ConditionCommitStatusReported is True when the last commit status was
	// posted, False (reason PostFailed or InvalidConfig) when it was not;
	// it is retried on the next sync, within a minute.
	ConditionCommitStatusReported = "CommitStatusReported"
	// ReasonPosted: the last commit status reached the Git host.
	ReasonPosted = "Posted"
	// ReasonPostFailed: the Git host did not take the status (unreachable,
	// 5xx or 429 after retries, or a refused token).
	ReasonPostFailed = "PostFailed"
	// ReasonInvalidConfig: spec.commitStatus or its Secret cannot work as
	// written (no token, a provider that cannot be told).
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonSuperseded (on Reconciling): a sync request or a spec change
	// cut the health wait of the revision being synced short; the next
	// sync, already queued, decides Ready.
	ReasonSuperseded = "Superseded"
)
