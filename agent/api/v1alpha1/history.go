package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Bounds of status.history.
const (
	// MaxHistory is how many entries status.history keeps.
	MaxHistory = 10
	// MaxHistoryText bounds an entry's author and subject, in bytes.
	MaxHistoryText = 120
	// MaxHistoryMessage bounds an entry's message, in bytes.
	MaxHistoryMessage = 256
)

// Outcomes of a history entry.
const (
	OutcomeApplied    = "Applied"
	OutcomeFailed     = "Failed"
	OutcomeSuperseded = "Superseded"
)

// HistoryEntry is one revision a sync handled.
type HistoryEntry struct {
	// revision is the commit's full SHA.
	// +kubebuilder:validation:MaxLength=64
	Revision string `json:"revision"`
	// author is the commit author's name (the email is left out: nothing
	// here needs to reach the author, and the status is widely readable).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Author string `json:"author,omitempty"`
	// subject is the first line of the commit message, at most 120 bytes.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Subject string `json:"subject,omitempty"`
	// time the sync of this revision finished.
	Time metav1.Time `json:"time"`
	// outcome is Applied (Ready became or stayed True), Failed, or
	// Superseded (applied, but a newer sync request cut its health wait
	// short).
	// +kubebuilder:validation:Enum=Applied;Failed;Superseded
	Outcome string `json:"outcome"`
	// reason is the Ready condition's reason, for example RenderFailed.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Reason string `json:"reason,omitempty"`
	// message is the Ready condition's message (redacted like it), at
	// most 256 bytes.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Message string `json:"message,omitempty"`
	// counts of what the sync did to objects; absent when it stopped
	// before applying.
	// +optional
	Counts *HistoryCounts `json:"counts,omitempty"`
}

// HistoryCounts counts the objects one sync touched.
type HistoryCounts struct {
	Created    int32 `json:"created"`
	Configured int32 `json:"configured"`
	Unchanged  int32 `json:"unchanged"`
	Deleted    int32 `json:"deleted"`
}
