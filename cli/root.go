package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/internal/version"
)

// IO is what a command reads from and writes to.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// OutTerminal and ErrTerminal say whether Out and Err are terminals
	// (progress bars and colour only go to a terminal).
	OutTerminal, ErrTerminal bool
}

// StdIO is the process's standard streams.
func StdIO() IO {
	return IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// Factory holds the dependencies commands take, so tests can replace the
// process's environment, working directory and clock.
type Factory struct {
	IO     IO
	Getenv func(string) string
	Getwd  func() (string, error)
	Now    func() time.Time
	// KubeClient, when set, is the cluster client of the GitSync commands
	// (get, reconcile, suspend, resume) instead of one built from the
	// kubeconfig: the seam their unit tests use to run without an API
	// server.
	KubeClient func() (client.WithWatch, error)
}

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // findings, or the command failed
	ExitUsage   = 2 // bad flags or arguments
)

// usageError marks an error as the caller's mistake in flags or arguments.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit code 2).
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// hintError carries a suggestion printed after the error as "seal: hint:".
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

// withHint attaches a hint to err.
func withHint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// codeError is a failure printed as usual but ending with its own exit
// code (seal status exits 2 when it cannot tell whether the GitSyncs are
// Ready).
type codeError struct {
	err  error
	code int
}

func (e codeError) Error() string { return e.err.Error() }
func (e codeError) Unwrap() error { return e.err }

// silentError is a failure already reported on stdout or stderr (findings
// of seal check, for instance): Execute only sets the exit code.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Execute runs the seal command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdio IO) int {
	f := &Factory{IO: stdio, Getenv: os.Getenv, Getwd: os.Getwd, Now: time.Now}
	return run(ctx, f, args)
}

func run(ctx context.Context, f *Factory, args []string) int {
	root := newRootCmd(f)
	args, err := expandShorthand(f, root, args)
	if err == nil {
		root.SetArgs(args)
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return ExitOK
	}
	var silent silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	printError(f.IO.Err, err)
	var ce codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailure
}

// printError prints err as "seal: error:", and its hint, if any, as
// "seal: hint:".
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "seal: error: %v\n", err)
	var h hintError
	if errors.As(err, &h) {
		fmt.Fprintf(w, "seal: hint: %s\n", h.hint)
	}
}

func newRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "seal",
		Short: "Encrypt Kubernetes Secrets for Git, and manage the keys that open them",
		Long: `seal encrypts the values of Kubernetes Secret manifests with age, in the SOPS
file format, so that a cluster's whole state, Secrets included, can live in
Git. The seal-agent running in the cluster holds the only key that opens them.

"seal PATH..." is short for "seal encrypt PATH...": a first argument that is
not a command but an existing file or directory (or -) is encrypted.`,
		Example: `  # Encrypt a Secret manifest in place, for the recipients of .sops.yaml
  seal -i apps/db-secret.yaml

  # Change a value; only that value's ciphertext changes
  seal edit apps/db-secret.yaml`,
		Version:           version.Get().String(),
		ValidArgsFunction: completeManifests, // "seal PATH...", besides the commands
		SilenceUsage:      true,
		SilenceErrors:     true,
	}
	root.SetVersionTemplate("seal {{.Version}}\n")
	// Bound here so that cobra does not take -v, which is encrypt's
	// --verbose in the "seal -v PATH" shorthand.
	root.Flags().Bool("version", false, "print seal's version (seal version says more)")
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	addCryptCommands(root, f)
	addAuditCommands(root, f)
	addInstallCommands(root, f)
	root.AddCommand(newVersionCmd(f))
	addCompletions(root, f)
	return root
}
