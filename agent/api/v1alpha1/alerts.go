package v1alpha1

// Alert types.
const (
	AlertSlack   = "slack"
	AlertTeams   = "teams"
	AlertGeneric = "generic"
)

// Alert is one webhook target of a GitSync's alerts.
type Alert struct {
	// type of the target's payload: slack (Slack incoming webhooks and
	// compatible chats: Mattermost, Rocket.Chat), teams (a Microsoft Teams
	// MessageCard) or generic (Seal's own JSON).
	// +required
	// +kubebuilder:validation:Enum=slack;teams;generic
	Type string `json:"type"`
	// secretRef names a Secret in this GitSync's namespace (read as its
	// service account) whose key "address" holds the webhook URL. The URL
	// is a credential: it is never logged or shown.
	// +required
	SecretRef LocalObjectReference `json:"secretRef"`
}
