package agent

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
)

// Main runs seal-agent with the given arguments and returns the process
// exit code.
func Main(args []string) int {
	fs := pflag.NewFlagSet("seal-agent", pflag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, `seal-agent syncs a Kubernetes cluster from an encrypted Git repository.

This build is the project's foundation and does not sync anything yet; the
reconciler arrives with the agent issue.

Usage:
  seal-agent [flags]

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	fmt.Fprintln(os.Stderr, "seal-agent: error: the reconciler is not built yet")
	return 1
}
