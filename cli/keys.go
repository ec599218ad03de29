package cli

import "github.com/spf13/cobra"

func newKeysCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "See who can decrypt what, rotate recipients, fetch, audit and retire the cluster's keys",
		Long: `Manage the age recipients encrypted files are wrapped for.

The creation rules of .sops.yaml (the one nearest the working directory, as
sops finds it) say whom each file should be encrypted for; these commands
compare files with their rules, bring files in line, and fetch the key the
in-cluster seal-agent publishes.`,
		Args: commandGroupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newKeysRotateCmd(f), newKeysListCmd(f), newKeysFetchCmd(f), newKeysUsageCmd(f), newKeysRetireCmd(f))
	return cmd
}

// commandGroupArgs refuses arguments to a command that only groups others
// (seal keys, seal hook): an unknown subcommand is a usage error, where
// cobra would print the help and exit 0.
func commandGroupArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}
