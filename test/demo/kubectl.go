package main

import (
	"context"
	"fmt"
	"path/filepath"
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
		return "", fmt.Errorf("%s %s: %s: %s", filepath.Base(path), strings.Join(args, " "), exitText(res.ExitCode), strings.TrimSpace(res.Stderr))
	}
	return strings.TrimSpace(res.Stdout), nil
}

// requestSync annotates the GitSync as a push webhook (or an impatient
// developer) would, so a new commit is picked up at once instead of at the
// next interval.
func (d *demo) requestSync(ctx context.Context) error {
	value := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	out, err := d.kubectl(ctx, "--namespace", agentNamespace, "annotate", "gitsync", syncName,
		v1alpha1.AnnotationSyncRequested+"="+value, "--overwrite")
	if err != nil {
		return err
	}
	d.say.output(out)
	return nil
}

// exitText says how a program ended, from harness.Result.ExitCode.
func exitText(code int) string {
	if code < 0 {
		return "killed by a signal"
	}
	return fmt.Sprintf("exit status %d", code)
}

// objectErr is an error about a Kubernetes object: its message starts with
// the object's kind and name, as Kubernetes' own messages do.
func objectErr(kind, name, format string, args ...any) error {
	return fmt.Errorf("%s %s: "+format, append([]any{kind, name}, args...)...)
}
