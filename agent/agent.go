package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/seal-gitops/seal/internal/version"
)

const usage = `seal-agent syncs a Kubernetes cluster from an encrypted Git repository.

It reconciles GitSync objects (seal.dev/v1alpha1): for each, every interval
and whenever its spec changes, it fetches the Git ref, renders the manifests
under the path (plain YAML or kustomize), decrypts SOPS-encrypted files in
memory with its own age key, applies everything with server-side apply,
prunes what was removed from Git, corrects drift, and reports on the
GitSync's status, in events and in metrics.

It also serves Receivers (seal.dev/v1alpha1) on --webhook-bind-address: a
forge's signed push webhook to a Receiver's status.webhookPath syncs at
once the GitSyncs of the Receiver's namespace that follow the pushed
repository and branch.

On first start it generates its key into the Secret --key-secret in
--agent-namespace and publishes the public recipient in the ConfigMap
seal-agent-public-key; developers encrypt to it with
"seal keys fetch --update-config PATH_REGEX" and "seal encrypt". If the key
Secret is deleted while the agent runs, the agent restores it from memory.
If it is missing at start while the ConfigMap still publishes recipients,
the key was lost: the agent refuses to start (restore the Secret from a
backup) unless --generate-key asks for a new key.

It runs Go's garbage collector at GOGC=50 (less memory at the peak of a
sync, for a little more CPU) unless the GOGC environment variable is set.

Usage:
  seal-agent [flags]

Flags:
`

// Main runs seal-agent with args and returns the process exit code: 0 after
// a clean shutdown, 1 on failure, 2 on a usage error.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if percent, ok := gcPercent(os.Getenv); ok {
		debug.SetGCPercent(percent)
	}
	return run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
}

// defaultGCPercent is the garbage collector's target the agent runs with
// unless GOGC says otherwise: the heap may grow 50% past what the last
// collection left, not Go's default 100%. A sync's garbage (decrypting,
// encoding requests) is most of its peak memory, and the agent mostly
// waits on the API server: at 5,000 objects the peak went from 156-165 MiB
// to 141 MiB with no change in sync times within the bench's noise.
const defaultGCPercent = 50

// gcPercent is the target to set, and whether to set one: none when GOGC
// is set, so an operator's choice stands.
func gcPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return defaultGCPercent, true
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts := defaultOptions(getenv)
	fs := pflag.NewFlagSet("seal-agent", pflag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print seal-agent's version and exit")
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	opts.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "seal-agent: error: %v\nseal-agent: hint: run seal-agent --help for the flags\n", err)
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "seal-agent %s\n", version.Get())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "seal-agent: error: unexpected argument %q: seal-agent takes only flags\n", fs.Arg(0))
		return 2
	}
	if err := opts.validate(); err != nil {
		fmt.Fprintf(stderr, "seal-agent: error: %v\n", err)
		return 2
	}
	if err := Run(ctx, opts, stderr); err != nil {
		fmt.Fprintf(stderr, "seal-agent: error: %v\n", err)
		return 1
	}
	return 0
}
