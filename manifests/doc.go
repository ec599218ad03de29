// Package manifests holds seal-agent's install YAML — a kustomize base in
// this directory (cluster mode) and a kustomize component,
// components/tenant, for tenant mode — and renders it into objects, so
// `seal bootstrap` installs exactly what `kubectl apply -k manifests/` would.
//
// The YAML is the source of truth: this package embeds it and runs
// kustomize on an in-memory copy. It never reads the disk, never talks to a
// cluster, and never holds a secret: the agent generates its own key once
// it runs. crd/ is written by `make generate` from agent/api/v1alpha1 and
// must not be edited by hand.
package manifests
