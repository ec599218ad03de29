// Package helm reads Seal's HelmRelease files and renders Helm charts with
// the Helm SDK, as `helm template` would.
//
// A HelmRelease (apiVersion seal.dev/v1alpha1) names a release, its
// namespace, a chart pinned by version (a directory of the repository, a
// chart in an HTTP(S) chart repository or in an OCI registry) and its
// values. This package parses and validates the file (Parse), loads chart
// archives within size caps, refusing links and paths that leave the
// archive (LoadArchive), downloads charts from chart repositories and OCI
// registries (Helm's registry client) and caches them by digest (Fetcher),
// and renders a chart into manifests (Template).
//
// Credentials for a chart source (CredentialsFromSecret) go only over
// HTTPS and only to the hosts their Secret names; every other request of
// a download goes without them, whatever set them.
//
// It never sees a decrypted value: sealed values reach the chart as the
// tokens of crypto.DecryptTokens, and the seal check decides afterwards
// where they may land. It never runs hooks, never talks to the cluster and
// never stores a release; its errors mask tokens all the same.
package helm
