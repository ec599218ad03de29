package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/testbin"
)

// kubectl prints and runs the kubectl built with the apiserver, from the
// scratch directory, against the demo's cluster, and returns its output.
func (d *demo) kubectl(ctx context.Context, args ...string) (string, error) {
	path, err := testbin.Path("kubectl")
	if err != nil {
		return "", err
	}
	args = append([]string{"--kubeconfig", "kubeconfig"}, args...)
	d.say.command(path, args...)
	res, err := harness.Run(ctx, harness.Command{Path: path, Args: args, Dir: d.tmp})
	if err != nil {
		return "", fmt.Errorf("kubectl: %w", err)
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("kubectl %s exited with %d: %s", args[2], res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	return strings.TrimSpace(res.Stdout), nil
}

// requestSync annotates the GitSync as a push webhook (or an impatient
// developer) would, so a new commit is picked up at once instead of at the
// next interval.
func (d *demo) requestSync(ctx context.Context) error {
	value := strconv.FormatInt(time.Now().UnixNano(), 10)
	out, err := d.kubectl(ctx, "--namespace", agentNamespace, "annotate", "gitsync", syncName,
		v1alpha1.AnnotationSyncRequested+"="+value, "--overwrite")
	if err != nil {
		return err
	}
	d.say.output(out)
	return nil
}
