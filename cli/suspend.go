package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func newSuspendCmd(f *Factory) *cobra.Command {
	return kindGroupCmd("suspend", "Stop seal-agent from syncing an object until it is resumed", newSuspendGitSyncCmd(f, true))
}

func newResumeCmd(f *Factory) *cobra.Command {
	return kindGroupCmd("resume", "Let seal-agent sync a suspended object again", newSuspendGitSyncCmd(f, false))
}

// newSuspendGitSyncCmd is seal suspend gitsync (suspend) or seal resume
// gitsync (!suspend): both set spec.suspend.
func newSuspendGitSyncCmd(f *Factory, suspend bool) *cobra.Command {
	t := &gitSyncTarget{}
	cmd := &cobra.Command{
		Use:     "gitsync NAME",
		Aliases: gitSyncAliases,
		Args:    t.oneName,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSuspend(cmd.Context(), f, t, suspend)
		},
	}
	if suspend {
		cmd.Short = "Stop syncing a GitSync until it is resumed"
		cmd.Long = `Set spec.suspend on the GitSync NAME (in seal-system unless -n says
otherwise): seal-agent stops syncing it, so changes in Git and in the
cluster are left alone (nothing is applied, corrected or pruned), until
seal resume gitsync NAME. Its Reconciling condition says Suspended, and seal
get gitsyncs shows SUSPENDED true. Suspending a suspended GitSync changes
nothing.`
		cmd.Example = `  # Hold production while fixing something by hand
  seal suspend gitsync production`
	} else {
		cmd.Short = "Sync a suspended GitSync again"
		cmd.Long = `Clear spec.suspend on the GitSync NAME (in seal-system unless -n says
otherwise): seal-agent syncs it at once, and then every interval again.
Resuming a GitSync that is not suspended changes nothing.`
		cmd.Example = `  # Resume, then follow the sync it starts
  seal resume gitsync production && seal status -w production`
	}
	t.bind(f, cmd)
	return cmd
}

func runSuspend(ctx context.Context, f *Factory, t *gitSyncTarget, suspend bool) error {
	c, where, err := t.gitSyncClient(f)
	if err != nil {
		return err
	}
	gs, err := getGitSync(ctx, c, where, t.key())
	if err != nil {
		return err
	}
	done, already := "suspended", "already suspended"
	if !suspend {
		done, already = "resumed", "not suspended"
	}
	name := fmt.Sprintf("GitSync %s", t.key())
	if gs.Spec.Suspend == suspend {
		fmt.Fprintf(f.IO.Out, "%s: %s\n", name, already)
		return nil
	}
	// spec.suspend is omitted when false, hence null to clear it.
	value := "null"
	if suspend {
		value = "true"
	}
	rctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"suspend":`+value+`}}`))
	if err := c.Patch(rctx, gs, patch); err != nil {
		return kubeError(err, where, "setting spec.suspend of "+name)
	}
	fmt.Fprintf(f.IO.Out, "%s: %s\n", name, done)
	return nil
}
