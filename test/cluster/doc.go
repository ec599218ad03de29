// Package cluster starts a real Kubernetes control plane for tests: the
// kube-apiserver and etcd that package testbin builds from source, run by
// controller-runtime's envtest. There are no nodes and no controllers, so
// objects are stored and validated exactly as on a real cluster but no pods
// run and deleted namespaces stay terminating.
package cluster
