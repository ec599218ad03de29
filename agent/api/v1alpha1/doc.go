// Package v1alpha1 is the GitSync API (group seal.dev, version v1alpha1):
// the Go types the CRD in manifests/crd is generated from, the condition
// types and reasons the agent reports, and the labels and annotations it
// puts on the objects it applies.
//
// It holds types, constants and small helpers only. It must never hold
// controller logic, talk to a cluster or to Git, or carry a secret value:
// the spec names Secrets, it never embeds what they hold.
//
// Regenerate zz_generated.deepcopy.go and the CRD with `make generate`.
//
// +kubebuilder:object:generate=true
// +groupName=seal.dev
package v1alpha1
