package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReceiverKind is the kind of Receiver objects.
const ReceiverKind = "Receiver"

// Receiver accepts a forge's push webhooks and asks for an immediate sync
// of the GitSyncs in its own namespace whose repository and branch match
// the pushed ones. The agent serves it at status.webhookPath on its
// webhook port; the forge signs each delivery with the token of the Secret
// named by spec.secretRef.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=seal
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Path",type=string,JSONPath=`.status.webhookPath`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Receiver struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which forge sends, with which secret, and which GitSyncs
	// its pushes may trigger.
	// +required
	Spec ReceiverSpec `json:"spec"`

	// status is written by the agent only.
	// +optional
	Status ReceiverStatus `json:"status,omitempty"`
}

// ReceiverProvider names how a forge signs its deliveries and shapes its
// push payloads.
// +kubebuilder:validation:Enum=github;gitlab;gitea;forgejo;bitbucket;generic
type ReceiverProvider string

// The providers a Receiver understands.
const (
	// ProviderGitHub verifies X-Hub-Signature-256 (HMAC-SHA256 of the body).
	ProviderGitHub ReceiverProvider = "github"
	// ProviderGitLab compares X-Gitlab-Token with the token.
	ProviderGitLab ReceiverProvider = "gitlab"
	// ProviderGitea verifies X-Gitea-Signature (HMAC-SHA256 of the body).
	ProviderGitea ReceiverProvider = "gitea"
	// ProviderForgejo is Gitea's fork: X-Forgejo-Signature or
	// X-Gitea-Signature.
	ProviderForgejo ReceiverProvider = "forgejo"
	// ProviderBitbucket verifies Bitbucket Cloud's X-Hub-Signature
	// ("sha256=" HMAC-SHA256 of the body).
	ProviderBitbucket ReceiverProvider = "bitbucket"
	// ProviderGeneric verifies X-Signature ("sha256=" HMAC-SHA256 of the
	// body); the body may name a repository url and a ref.
	ProviderGeneric ReceiverProvider = "generic"
)

// ReceiverSpec is a Receiver's configuration.
type ReceiverSpec struct {
	// provider is the forge that sends the webhooks: github, gitlab,
	// gitea, forgejo, bitbucket (Cloud) or generic.
	// +required
	Provider ReceiverProvider `json:"provider"`

	// secretRef names a Secret in the Receiver's namespace whose key
	// "token" is the webhook secret configured at the forge (at least 16
	// characters; generate it, for example with `openssl rand -hex 32`).
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`

	// selector narrows the GitSyncs a push may trigger to those with these
	// labels. Only GitSyncs in the Receiver's own namespace are ever
	// triggered; without a selector, every one of them whose url and
	// branch (or tag) match the push.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// ReceiverStatus is what the agent observed.
type ReceiverStatus struct {
	// conditions: Ready is True when the Secret holds a usable token.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// webhookPath is the path to configure at the forge, on the agent's
	// webhook address: /hook/ and a hash of the Receiver's uid, namespace
	// and name. It does not change when the token is rotated.
	// +optional
	WebhookPath string `json:"webhookPath,omitempty"`
}

// ReceiverList is a list of Receiver objects.
//
// +kubebuilder:object:root=true
type ReceiverList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Receiver `json:"items"`
}

// GetConditions returns the status conditions.
func (r *Receiver) GetConditions() []metav1.Condition { return r.Status.Conditions }

// SetConditions replaces the status conditions.
func (r *Receiver) SetConditions(c []metav1.Condition) { r.Status.Conditions = c }

// ReceiverTokenKey is the key of the token in a Receiver's Secret.
const ReceiverTokenKey = "token"

// MinReceiverTokenLength is the shortest token a Receiver accepts.
const MinReceiverTokenLength = 16

// WebhookPathPrefix starts every Receiver's webhook path.
const WebhookPathPrefix = "/hook/"

// WebhookPath is the path a Receiver is served at: a SHA-256 of its uid,
// namespace and name. The uid (random, set by the API server) makes it
// unguessable to anyone who cannot read the Receiver; the token is left
// out so rotating it keeps the URL configured at the forge, and no hash
// of a Secret's content is published in status.
func (r *Receiver) WebhookPath() string {
	if r.UID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("seal.dev/receiver\x00" + string(r.UID) + "\x00" + r.Namespace + "\x00" + r.Name))
	return WebhookPathPrefix + hex.EncodeToString(sum[:])
}
