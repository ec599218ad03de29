// Command seal-agent syncs a cluster from an encrypted Git repository. See
// `seal-agent --help`.
package main

import (
	"os"

	"github.com/seal-gitops/seal/agent"
)

func main() {
	os.Exit(agent.Main(os.Args[1:]))
}
