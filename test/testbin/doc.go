// Package testbin builds the real programs Seal's tests run against —
// kube-apiserver, etcd, kubectl, the sops CLI, the helm CLI and Gitea — from
// source at pinned versions, and caches them outside the repository.
//
// Each program is built from a small module under test/tools whose go.mod
// pins its version. The cache key is the program's version plus a hash of
// that go.mod and go.sum, so a warm machine never rebuilds or relinks, and a
// changed pin never reuses a stale binary. Concurrent test processes share
// one build through a file lock. Gitea is built with cgo (its sqlite driver)
// and its options/, templates/ and public/ directories are copied from the
// module cache beside the binary.
package testbin
