package cli

import "github.com/spf13/cobra"

// addAuditCommands adds check, hook, keys (rotate, list, fetch), and diff
// and git-setup (reviewing sealed files in Git).
func addAuditCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(newCheckCmd(f), newHookCmd(f), newKeysCmd(f), newDiffCmd(f), newGitSetupCmd(f), newPromoteCmd(f))
}
