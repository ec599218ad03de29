// Command testbin builds, once per machine, the programs Seal's tests run
// against (kube-apiserver, etcd, kubectl, sops) and prints where they are.
// `make test` runs it first so that a cold build happens in one place,
// with a message, rather than inside a test's timeout.
package main

import (
	"fmt"
	"os"

	"github.com/seal-gitops/seal/test/testbin"
)

func main() {
	assets, err := testbin.ControlPlaneDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sops, err := testbin.Path("sops")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("KUBEBUILDER_ASSETS=%s\nSOPS=%s\n", assets, sops)
}
