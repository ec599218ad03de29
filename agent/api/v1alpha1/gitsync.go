package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GitSync keeps the objects in a directory of a Git repository applied to
// the cluster: the agent fetches the repository, renders the directory
// (plain YAML or kustomize), decrypts the SOPS-encrypted Secrets in memory,
// applies everything with server-side apply, prunes what was removed from
// Git and reports the outcome in status.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gs,categories=seal
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.spec.url`
// +kubebuilder:printcolumn:name="Ref",type=string,JSONPath=`.spec.ref.*`,description="The branch, tag or commit synced"
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.shortRevision`,description="The commit last applied, shortened"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="metadata.name must be at most 63 characters: it is used as a label value on every applied object"
type GitSync struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says what to sync and how.
	// +required
	Spec GitSyncSpec `json:"spec"`

	// status is what the agent observed and did, written by the agent only.
	// +optional
	Status GitSyncStatus `json:"status,omitempty"`
}

// GitSyncList is a list of GitSync objects.
//
// +kubebuilder:object:root=true
type GitSyncList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GitSync `json:"items"`
}

// GetConditions returns the status conditions, for condition helpers that
// work on any object with conditions.
func (gs *GitSync) GetConditions() []metav1.Condition { return gs.Status.Conditions }

// SetConditions replaces the status conditions.
func (gs *GitSync) SetConditions(c []metav1.Condition) { gs.Status.Conditions = c }
