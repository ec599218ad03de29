// Package install tests seal-agent's install artifacts against a real
// kube-apiserver: the kustomize base in manifests/ (cluster and tenant
// mode), the Helm chart in charts/seal-agent, and the Dockerfile. It checks
// that every object is accepted, that the RBAC grants what the agent needs
// and no more where it matters (SubjectAccessReviews, impersonated
// requests, and the real seal-agent binary running with its own service
// account token), and that the chart installs what manifests/ does.
//
// It holds tests only; the Helm SDK must never become a dependency of the
// agent or the CLI through this package.
package install
