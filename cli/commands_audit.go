package cli

import "github.com/spf13/cobra"

// addAuditCommands adds check, hook, keys (rotate, list, fetch) and
// promote.
func addAuditCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(newCheckCmd(f), newHookCmd(f), newKeysCmd(f), newPromoteCmd(f))
}
