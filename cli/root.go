package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// IO is what a command reads from and writes to.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// StdIO is the process's standard streams.
func StdIO() IO { return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

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

// Execute runs the seal command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdio IO) int {
	root := newRootCmd(stdio)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stdio.Err, "seal: error: %v\n", err)
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	return ExitFailure
}

func newRootCmd(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "seal",
		Short: "Encrypt Kubernetes Secrets for Git, and manage the keys that open them",
		Long: `seal encrypts the values of Kubernetes Secret manifests with age, in the SOPS
file format, so that a cluster's whole state, Secrets included, can live in
Git. The seal-agent running in the cluster holds the only key that opens them.

This build is the project's foundation: the commands arrive with the
issues that build them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}
