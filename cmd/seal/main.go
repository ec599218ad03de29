// Command seal encrypts Kubernetes Secrets for Git and manages the keys
// that open them. See `seal --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/seal-gitops/seal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], cli.StdIO())
	stop()
	os.Exit(code)
}
