// Command devcluster runs, until interrupted, the local kube-apiserver and
// etcd the tests use, and prints a kubeconfig for it: a cluster to try seal
// and seal-agent against by hand (`go run ./test/cmd/devcluster`). It has no
// nodes, so Deployments never get pods; run seal-agent as a local process
// against the printed kubeconfig instead.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/seal-gitops/seal/test/cluster"
)

func main() {
	c, err := cluster.Start(cluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "devcluster:", err)
		os.Exit(1)
	}
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	fmt.Fprintln(os.Stderr, "devcluster: running; Ctrl-C stops it and removes its data")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "devcluster:", err)
		os.Exit(1)
	}
}
