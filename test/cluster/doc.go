// Package cluster starts a real Kubernetes control plane for tests: the
// kube-apiserver and etcd that package testbin builds from source, run by
// controller-runtime's envtest. There are no nodes and no controllers, so
// objects are stored and validated exactly as on a real cluster but no pods
// run and deleted namespaces stay terminating.
//
// A Cluster keeps the apiserver's certificates and etcd's data in a
// directory of its own, so a test can stop kube-apiserver or etcd and start
// it again on the same address with the same certificates and data; clients
// built before the restart work after it. Stop removes everything.
package cluster
