package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// gitSyncTarget is the GitSync a command acts on: NAME and -n.
type gitSyncTarget struct {
	kubeTarget
	Namespace string
	Name      string
}

func (t *gitSyncTarget) key() client.ObjectKey {
	return client.ObjectKey{Namespace: t.Namespace, Name: t.Name}
}

// bind adds -n and the kube flags to cmd, and NAME's completion.
func (t *gitSyncTarget) bind(f *Factory, cmd *cobra.Command) {
	cmd.Flags().StringVarP(&t.Namespace, "namespace", "n", defaultAgentNamespace, "`NAMESPACE` of the GitSync")
	t.addKubeFlags(cmd.Flags())
	lister := &statusOptions{}
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		lister.kubeTarget, lister.Namespace = t.kubeTarget, t.Namespace
		return completeGitSyncNames(f, lister)(cmd, args, toComplete)
	}
}

// oneName takes exactly one NAME into t.Name.
func (t *gitSyncTarget) oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return withHint(usagef("%s takes one NAME, the GitSync's, got %d arguments", cmd.CommandPath(), len(args)),
			"seal get gitsyncs lists them")
	}
	t.Name = args[0]
	return nil
}

// reconcileOptions are the flags of seal reconcile gitsync.
type reconcileOptions struct {
	gitSyncTarget
	Wait    bool
	Timeout time.Duration
}

func newReconcileCmd(f *Factory) *cobra.Command {
	return kindGroupCmd("reconcile", "Ask seal-agent to sync now, without waiting for the interval", newReconcileGitSyncCmd(f))
}

func newReconcileGitSyncCmd(f *Factory) *cobra.Command {
	opts := &reconcileOptions{}
	cmd := &cobra.Command{
		Use:     "gitsync NAME",
		Aliases: gitSyncAliases,
		Short:   "Ask seal-agent to sync a GitSync now",
		Long: `Ask seal-agent to sync the GitSync NAME (in seal-system unless -n says
otherwise) now: fetch its ref, render, apply and prune, rather than wait
for its interval. It sets the seal.dev/sync-requested annotation, which
the agent watches.

With --wait it then waits for the outcome of that new sync and prints it:
exit status 0 when the GitSync is Ready, 1 when the sync failed (the
reason and message say why), was suspended, or no outcome came within
--timeout (is seal-agent running?).

The annotation's value is a fresh token (the time of the request). When a
sync ends, successful or not, the agent copies the token it started with
into status.lastHandledSyncRequest; --wait waits until that field holds
this command's token, so a sync that was already running is not mistaken
for the new one. It needs get, watch and patch on gitsyncs, and writes no
status.

A suspended GitSync is not synced: seal resume gitsync NAME first.`,
		Example: `  # Sync now after a push, and wait for the outcome
  seal reconcile gitsync production --wait

  # Only ask; seal status -w follows it
  seal reconcile gitsync production -n team-a`,
		Args: func(cmd *cobra.Command, args []string) error { return opts.oneName(cmd, args) },
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconcile(cmd.Context(), f, opts)
		},
	}
	opts.bind(f, cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Wait, "wait", "w", false, "wait for the outcome of the sync and print it")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "with --wait: how long to wait for the outcome (default: the GitSync's spec.timeout plus a minute)")
	return cmd
}

func runReconcile(ctx context.Context, f *Factory, opts *reconcileOptions) error {
	if opts.Timeout < 0 {
		return usagef("--timeout %s: must not be negative", opts.Timeout)
	}
	if opts.Timeout != 0 && !opts.Wait {
		return usagef("--timeout applies only with --wait")
	}
	c, where, err := opts.gitSyncClient(f)
	if err != nil {
		return err
	}
	gs, err := getGitSync(ctx, c, where, opts.key())
	if err != nil {
		return err
	}
	name := fmt.Sprintf("GitSync %s", opts.key())
	if gs.Spec.Suspend {
		return withHint(fmt.Errorf("%s is suspended: seal-agent does not sync it", name),
			"seal resume gitsync %s -n %s, which syncs it at once", opts.Name, opts.Namespace)
	}
	token := f.Now().UTC().Format(time.RFC3339Nano)
	gs, err = requestSync(ctx, c, where, gs, token)
	if err != nil {
		return err
	}
	if !opts.Wait {
		fmt.Fprintf(f.IO.Out, "%s: sync requested\n", name)
		return nil
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = gs.Spec.TimeoutOrDefault() + time.Minute
	}
	fmt.Fprintf(f.IO.Err, "%s: sync requested, waiting for seal-agent (up to %s)\n", name, timeout)
	gs, err = waitSyncEnded(ctx, c, where, gs, token, timeout)
	if err != nil {
		return err
	}
	line, ok := syncOutcome(gs)
	fmt.Fprintf(f.IO.Out, "%s: %s\n", name, line)
	if !ok {
		return silentError{ExitFailure}
	}
	return nil
}
