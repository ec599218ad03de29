// Package render turns the manifests under one path of a Git revision into
// Kubernetes objects, decrypting SOPS-encrypted inputs in memory.
//
// A path that holds a kustomization is built with kustomize (plugins off, no
// exec, no remote bases or URLs, load restrictions root-only); any other path
// is read as plain YAML and JSON, recursively (leaving out chart
// directories, which hold a Chart.yaml, and values files, named
// *values.yaml). Either way, every HelmRelease object (seal.dev/v1alpha1,
// see agent/helm) is then replaced by the objects its chart renders, with
// its values files decrypted into tokens like any other sealed file; each
// such object records the release that owns it. Everything it reads is
// untrusted: anyone who can push to the repository controls it. So render
// confines every path and symlink to the repository root, caps the size of
// each file, the bytes read and the number of objects, recovers from panics
// in third-party parsers, and refuses Secrets that were not encrypted unless
// the caller allows them.
//
// Kustomize keeps some state process-wide, so kustomize builds run one at a
// time, and while one runs the standard library logger's output is dropped
// (kustomize logs resource values through it and may call log.Fatal).
//
// Render must never write anything (decrypted bytes live only in memory and
// are handed to kustomize through a read-only in-memory adapter), never run
// a program, never reach the network except to fetch a chart a HelmRelease
// names from its chart repository, and never put a decrypted value in an error:
// once decryption has happened, errors say only which file, document or line.
package render
