package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults the API server fills in, repeated here for objects that did not
// go through it (unit tests, objects built in code).
const (
	DefaultBranch   = "main"
	DefaultInterval = 5 * time.Minute
	DefaultTimeout  = 2 * time.Minute
	MinInterval     = 10 * time.Second
)

// GitSyncSpec says which repository, revision and directory to sync, with
// which credentials and keys, and how careful to be.
type GitSyncSpec struct {
	// url of the Git repository: https://, http://, ssh:// or scp-like
	// (git@host:org/repo.git). Credentials never go in the URL; put them in
	// the Secret named by secretRef.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule=`self.matches('^(https?|ssh)://[^\\s/?#]+(/\\S*)?$') || self.matches('^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\\S+$')`,message="url must start with https://, http:// or ssh://, or be scp-like (git@host:org/repo.git)"
	// +kubebuilder:validation:XValidation:rule=`!self.matches('^[a-z]+://[^/@]*:[^/@]*@')`,message="url must not contain a password: put credentials in the Secret named by secretRef"
	URL string `json:"url"`

	// ref is the branch, tag or commit to sync; at most one may be set.
	// Defaults to the branch "main".
	// +optional
	// +kubebuilder:default={branch: "main"}
	Ref GitRef `json:"ref,omitzero"`

	// path is the directory within the repository to sync, relative to its
	// root, for example "clusters/production". It must not start with "/"
	// or contain "..". Defaults to the repository root.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="path must be relative to the repository root"
	// +kubebuilder:validation:XValidation:rule=`!self.matches('(^|/)\\.\\.(/|$)')`,message="path must not contain \"..\""
	Path string `json:"path,omitempty"`

	// interval between syncs, as a Go duration ("5m", "1h30m"). A sync
	// also corrects drift. At least 10s; defaults to 5m.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s')",message="interval must be at least 10s"
	Interval metav1.Duration `json:"interval,omitzero"`

	// timeout of one sync (fetch, render, apply, prune), as a Go duration.
	// At least 1s; defaults to 2m.
	// +optional
	// +kubebuilder:default="2m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="timeout must be at least 1s"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// secretRef names a Secret in this GitSync's namespace holding the Git
	// credentials: "username" and "password" (HTTPS basic auth), or
	// "bearerToken" (HTTPS), or "identity" (SSH private key, PEM or OpenSSH
	// format) with "known_hosts" (required with identity: the server's host
	// key is always checked); optionally "ca.crt", an extra CA bundle for
	// HTTPS. Without it the repository is fetched anonymously.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`

	// decryption says which age identities decrypt the SOPS-encrypted files.
	// Defaults to the agent's own key ring.
	// +optional
	Decryption *Decryption `json:"decryption,omitempty"`

	// prune deletes objects this GitSync applied before and that are no
	// longer in Git. An object annotated seal.dev/prune=disabled is never
	// pruned. Defaults to true.
	// +optional
	// +kubebuilder:default=true
	Prune *bool `json:"prune,omitempty"`

	// deletionPolicy says what happens to the objects this GitSync applied
	// when the GitSync is deleted: Delete (the default) deletes those that
	// still carry its owner labels, when prune is on and the GitSync is not
	// suspended; Orphan leaves them in the cluster.
	// +optional
	// +kubebuilder:validation:Enum=Delete;Orphan
	// +kubebuilder:default=Delete
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// allowEmpty lets a render of zero objects prune everything this
	// GitSync applied before. Off by default, so that an emptied or
	// mistyped path does not wipe the cluster.
	// +optional
	AllowEmpty bool `json:"allowEmpty,omitempty"`

	// allowPlaintextSecrets accepts Secrets that are not encrypted in Git.
	// Off by default: an unencrypted Secret fails the sync.
	// +optional
	AllowPlaintextSecrets bool `json:"allowPlaintextSecrets,omitempty"`

	// suspend stops syncing (and drift correction) until it is false again.
	// Nothing is deleted.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// targetNamespace is the namespace given to namespaced objects that
	// have none. Defaults to this GitSync's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	TargetNamespace string `json:"targetNamespace,omitempty"`

	// serviceAccountName is a ServiceAccount in this GitSync's namespace
	// that the agent impersonates to apply, to prune and to read the
	// Secrets this GitSync names, so the sync can do and read no more than
	// that account may. Defaults to the agent's --default-service-account,
	// or, when that is unset, to the agent's own account.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// commitStatus reports each sync back to the Git host as a commit
	// status on the synced revision, named
	// "seal/<cluster>/<namespace>/<name>" (the agent's --cluster-name):
	// pending when the sync starts, success once applied and healthy,
	// failure with the reason, or superseded when a newer revision replaced
	// it first. The condition CommitStatusReported says whether the last
	// status reached the Git host; a host that is down never fails a sync.
	// +optional
	CommitStatus *CommitStatus `json:"commitStatus,omitempty"`

	// alerts are webhook targets told when Ready turns False, turns True
	// again, and (at most once an interval) that it is still False.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	Alerts []Alert `json:"alerts,omitempty"`

	// verify requires the fetched commit to carry a valid signature by a
	// trusted key: otherwise nothing of it is applied or pruned, and Ready
	// is False with reason VerificationFailed.
	// +optional
	Verify *Verify `json:"verify,omitempty"`

	// wait, when true (the default), makes a sync wait after applying
	// until every applied object, and every object of healthChecks, is
	// healthy (kstatus: Deployments rolled out, Jobs complete, custom
	// resources Ready, Bitnami SealedSecrets Synced, …), for up to
	// timeout: Ready is True only then, and False with reason
	// HealthCheckFailed, naming each unhealthy object, after the timeout.
	// False: Ready once the objects are applied.
	// +optional
	// +kubebuilder:default=true
	Wait *bool `json:"wait,omitempty"`

	// healthChecks are objects Git does not apply whose health the sync
	// waits for too (for example a Deployment a Helm operator creates).
	// They are checked even when wait is false.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	HealthChecks []HealthCheck `json:"healthChecks,omitempty"`

	// dependsOn names GitSyncs this one waits for: it does not fetch,
	// apply or prune until each is Ready at its latest revision (its
	// observedGeneration current and lastAppliedRevision equal to
	// lastAttemptedRevision). Until then Ready is False with reason
	// DependencyNotReady, naming the first one not ready; a cycle is
	// Stalled with reason DependencyCycle. With a service account (tenant
	// mode) that account must be allowed to get each GitSync named.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	DependsOn []DependencyReference `json:"dependsOn,omitempty"`
}

// DependencyReference names a GitSync another one waits for.
type DependencyReference struct {
	// name of the GitSync.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// namespace of the GitSync; defaults to the namespace of the GitSync
	// that depends on it.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// HealthCheck names one object whose health a sync waits for.
type HealthCheck struct {
	// apiVersion of the object, for example "apps/v1".
	// +required
	// +kubebuilder:validation:MinLength=1
	APIVersion string `json:"apiVersion"`
	// kind of the object, for example "Deployment".
	// +required
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`
	// namespace of the object; empty for cluster-scoped kinds.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// Verify says which keys a synced commit must be signed by.
type Verify struct {
	// secretRef names a Secret in this GitSync's namespace (read as its
	// service account) holding the trusted keys: ASCII-armored OpenPGP
	// public keys under "pgp.asc" (gpg --armor --export), SSH public keys
	// in git's allowed-signers format under "allowed_signers" (for commits
	// signed with gpg.format=ssh), or both.
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`

	// mode is HeadOnly (the default: the fetched commit must be signed) or
	// AllSinceLastApplied (every commit since status.lastAppliedRevision
	// too, and a history that does not descend from it is refused; the
	// first sync checks the fetched commit only).
	// +optional
	// +kubebuilder:validation:Enum=HeadOnly;AllSinceLastApplied
	Mode string `json:"mode,omitempty"`
}

// Verify modes.
const (
	VerifyHeadOnly            = "HeadOnly"
	VerifyAllSinceLastApplied = "AllSinceLastApplied"
)

// CommitStatus says where to report sync outcomes.
type CommitStatus struct {
	// provider is the Git host's API: github, gitlab, gitea (also Forgejo)
	// or bitbucket (Bitbucket Cloud). Empty: told by the repository URL's
	// host (github.com, gitlab.com, bitbucket.org); set it for a
	// self-hosted server.
	// +optional
	// +kubebuilder:validation:Enum=github;gitlab;gitea;bitbucket
	Provider string `json:"provider,omitempty"`

	// apiURL is the API's base URL, for self-hosted servers. Defaults to
	// https://api.github.com for github.com, https://api.bitbucket.org/2.0
	// for bitbucket.org, and https://<host>/api/v3 (github), /api/v4
	// (gitlab) or /api/v1 (gitea) from the repository URL's host.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	APIURL string `json:"apiURL,omitempty"`

	// secretRef names a Secret in this GitSync's namespace whose key
	// "token" holds an API token allowed to write commit statuses (for
	// Bitbucket an access token, or an app password with the user name
	// under "username").
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}

// GitRef is a branch, a tag or a commit; at most one is set, and none
// means the branch "main".
//
// +kubebuilder:validation:XValidation:rule="[has(self.branch), has(self.tag), has(self.commit)].filter(x, x).size() <= 1",message="set at most one of branch, tag and commit"
type GitRef struct {
	// branch to follow, for example "main" or "release/1.2".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`self.matches('^[^\\s~^:?*\\[\\\\]+$') && !self.contains('..') && !self.startsWith('/') && !self.startsWith('-') && !self.endsWith('/') && !self.endsWith('.lock')`,message="branch must be a valid Git branch name"
	Branch string `json:"branch,omitempty"`

	// tag to sync, for example "v1.2.0". A tag that moves is followed.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule=`self.matches('^[^\\s~^:?*\\[\\\\]+$') && !self.contains('..') && !self.startsWith('/') && !self.startsWith('-') && !self.endsWith('/') && !self.endsWith('.lock')`,message="tag must be a valid Git tag name"
	Tag string `json:"tag,omitempty"`

	// commit to sync: a full 40-character lowercase SHA-1.
	// +optional
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9a-f]{40}$')",message="commit must be a full 40-character lowercase hex SHA-1"
	Commit string `json:"commit,omitempty"`
}

// LocalObjectReference names an object in the GitSync's namespace.
type LocalObjectReference struct {
	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Decryption chooses the age identities that decrypt SOPS files.
type Decryption struct {
	// secretRef names a Secret in this GitSync's namespace whose every data
	// value holds age identities in key-file format (one AGE-SECRET-KEY-…
	// per line, "#" comments allowed). Defaults to the agent's key ring.
	// +optional
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
	// allowUnbound accepts sealed values that carry no sealed identity
	// (files encrypted with the sops CLI, or by seal without a namespace).
	// They may still land only in Secrets' data and stringData: unbound
	// values in any Secret this GitSync applies, namespace-less ones in a
	// Secret of their name in any namespace. The files are listed in
	// status.unboundFiles and a Warning event. Off by default: such a value
	// refuses the revision.
	// +optional
	AllowUnbound bool `json:"allowUnbound,omitempty"`
}
