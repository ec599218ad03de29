package cli

import "github.com/spf13/cobra"

// addAuditCommands adds check, hook, and keys (rotate, list, fetch).
func addAuditCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(newCheckCmd(f), newHookCmd(f), newKeysCmd(f))
}
