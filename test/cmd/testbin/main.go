// Command testbin builds, once per machine, the programs Seal's tests run
// against (kube-apiserver, etcd, kubectl, sops, helm, gitea) and prints
// where they are.
// `make test` runs it first so that a cold build happens in one place,
// with a message, rather than inside a test's timeout.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/seal-gitops/seal/test/testbin"
)

func main() {
	assets, err := testbin.ControlPlaneDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("KUBEBUILDER_ASSETS=%s\n", assets)
	for _, name := range []string{"sops", "helm", "gitea"} {
		path, err := testbin.Path(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s=%s\n", strings.ToUpper(name), path)
	}
}
