package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GitSyncStatus is what the agent observed and did.
type GitSyncStatus struct {
	// observedGeneration is the metadata.generation of the spec the agent
	// last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready (the last sync applied the wanted revision and,
	// with spec.wait, everything became healthy), Reconciling (a sync is
	// waiting for objects to become healthy: reason Progressing) and
	// Stalled (retrying cannot help until the spec, its Secrets, the key
	// ring or the repository change), each with a reason such as
	// GitFetchFailed or HealthCheckFailed.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// lastHandledSyncRequest is the value of the seal.dev/sync-requested
	// annotation that the last finished sync (successful or not, or
	// skipped because the GitSync is suspended) started with. A client
	// that set the annotation to a fresh token knows its request was
	// handled once this field equals that token. A value longer than
	// MaxSyncRequestLength is not recorded.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastHandledSyncRequest string `json:"lastHandledSyncRequest,omitempty"`

	// lastAttemptedRevision is the commit SHA of the last sync attempt,
	// successful or not.
	// +optional
	LastAttemptedRevision string `json:"lastAttemptedRevision,omitempty"`

	// lastAppliedRevision is the commit SHA of the last successful sync.
	// +optional
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`

	// shortRevision is lastAppliedRevision shortened for display.
	// +optional
	ShortRevision string `json:"shortRevision,omitempty"`

	// appliedObjects lists the objects the last successful sync applied,
	// each as "Kind.group/version namespace/name" (no ".group" for the
	// core group, no "namespace/" for a cluster-scoped object); the next
	// sync prunes those no longer in Git. One string an object, not an
	// object of five fields, keeps every write of the GitSync cheap for
	// the API server: with a thousand objects, a patch took 10 ms instead
	// of 60.
	// +optional
	// +listType=atomic
	AppliedObjects []string `json:"appliedObjects,omitempty"`

	// inventory is what agents before appliedObjects wrote there. The
	// agent reads it while appliedObjects is empty and then removes it.
	//
	// Deprecated: read appliedObjects.
	// +optional
	// +listType=atomic
	Inventory []ObjectRef `json:"inventory,omitempty"`

	// appliedDigest is a digest of the objects the last successful sync
	// applied and of the resourceVersions they had when it ended (nothing
	// secret). A new agent process, after a restart or a leader failover,
	// that finds lastAppliedRevision still in Git and these objects
	// unchanged takes over without applying them again.
	// +optional
	AppliedDigest string `json:"appliedDigest,omitempty"`

	// lastSync counts what the last successful sync did.
	// +optional
	LastSync *SyncSummary `json:"lastSync,omitempty"`

	// decryptionKeys lists the age identities that decrypted files in the
	// last sync and how many files each opened.
	// +optional
	// +listType=atomic
	DecryptionKeys []KeyUsage `json:"decryptionKeys,omitempty"`

	// verifiedSigner is who signed lastAttemptedRevision, when
	// spec.verify is set and its signature verified: the key's identity
	// and fingerprint.
	// +optional
	VerifiedSigner string `json:"verifiedSigner,omitempty"`

	// unboundFiles lists the sealed files of the last applied revision
	// whose values carry no sealed identity and were accepted only because
	// spec.decryption.allowUnbound is true.
	// +optional
	// +listType=atomic
	UnboundFiles []string `json:"unboundFiles,omitempty"`

	// helmReleases lists the HelmRelease files of the last applied
	// revision: the chart each rendered, its digest, and where the
	// release widened the places its sealed values may land.
	// +optional
	// +listType=atomic
	HelmReleases []HelmReleaseStatus `json:"helmReleases,omitempty"`

	// history lists the last revisions the agent handled, newest first:
	// one entry each time the revision or the outcome of a sync changes.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	History []HistoryEntry `json:"history,omitempty"`
}

// HelmReleaseStatus is one Helm release a sync rendered.
type HelmReleaseStatus struct {
	// name and namespace of the release.
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// file that declares it.
	// +optional
	File string `json:"file,omitempty"`
	// chart is its path in the repository, or "<repository URL> <name>".
	Chart string `json:"chart"`
	// version of the chart.
	Version string `json:"version"`
	// digest of the chart: "sha256:<hex>" of the archive, or of the
	// chart directory's files.
	Digest string `json:"digest"`
	// objects is how many objects the release rendered.
	// +optional
	Objects int32 `json:"objects,omitempty"`
	// hooksSkipped counts the chart's hooks left out (Seal runs no hooks).
	// +optional
	HooksSkipped int32 `json:"hooksSkipped,omitempty"`
	// allowKinds are the kinds besides Secret that the release lets hold
	// its sealed values (spec.sealedValues.allowKinds of its file).
	// +optional
	// +listType=atomic
	AllowKinds []string `json:"allowKinds,omitempty"`
	// widened names each place where the widening let a sealed value
	// land: "ConfigMap prod/shop-config at data.greeting", at most 20.
	// +optional
	// +listType=atomic
	Widened []string `json:"widened,omitempty"`
}

// ObjectRef identifies one applied object.
type ObjectRef struct {
	// group of the object's API; empty for the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// version of the object's API, for example "v1".
	Version string `json:"version"`
	// kind of the object, for example "ConfigMap".
	Kind string `json:"kind"`
	// namespace of the object; empty for cluster-scoped objects.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// name of the object.
	Name string `json:"name"`
}

// SyncSummary counts the outcome of one sync.
type SyncSummary struct {
	// created counts objects that did not exist before.
	Created int32 `json:"created"`
	// configured counts objects that existed and were changed by Git.
	Configured int32 `json:"configured"`
	// unchanged counts objects that already matched Git.
	Unchanged int32 `json:"unchanged"`
	// pruned counts objects deleted because they left Git.
	Pruned int32 `json:"pruned"`
	// driftCorrected counts objects changed in the cluster (not in Git)
	// and put back.
	DriftCorrected int32 `json:"driftCorrected"`
	// duration of the sync.
	// +kubebuilder:validation:Type=string
	Duration metav1.Duration `json:"duration"`
	// time the sync finished.
	Time metav1.Time `json:"time"`
}

// KeyUsage says how many files one age identity decrypted.
type KeyUsage struct {
	// fingerprint of the identity's recipient: "sha256:" and 16 hex digits.
	// +kubebuilder:validation:Pattern=`^sha256:[0-9a-f]{16}$`
	Fingerprint string `json:"fingerprint"`
	// files is the number of files this identity opened.
	Files int32 `json:"files"`
}
