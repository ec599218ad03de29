package cli

import "github.com/spf13/cobra"

func newKeysCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "See who can decrypt what, rotate recipients, fetch the cluster's key",
		Long: `Manage the age recipients encrypted files are wrapped for.

The creation rules of .sops.yaml (the one nearest the working directory, as
sops finds it) say whom each file should be encrypted for; these commands
compare files with their rules, bring files in line, and fetch the key the
in-cluster seal-agent publishes.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKeysRotateCmd(f), newKeysListCmd(f), newKeysFetchCmd(f))
	return cmd
}
