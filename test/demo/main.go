package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// options are the demo's flags.
type options struct {
	bin  string // directory holding seal and seal-agent
	keep bool   // leave the temporary directory for inspection
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the demo and returns the exit code: 0 when every
// step passed, 1 when one failed, 2 for bad flags, 130 when interrupted.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts options
	fs.StringVar(&opts.bin, "bin", "bin", "`DIR` holding the built seal and seal-agent (make build puts them in bin)")
	fs.BoolVar(&opts.keep, "keep", false, "keep the temporary directory (work tree, agent log) instead of removing it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo: unexpected argument %q: the demo takes only flags\n", fs.Arg(0))
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C the demo cleans up; a second one quits at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	d := newDemo(opts, newNarrator(stdout, stderr))
	return d.run(ctx)
}
