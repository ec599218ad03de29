package cli

import "github.com/spf13/cobra"

// addInstallCommands adds bootstrap (install seal-agent and a first
// GitSync), status (how the cluster's GitSyncs are doing), uninstall, and
// import (from Bitnami Sealed Secrets), and the commands that operate
// GitSyncs: get, reconcile, suspend, resume.
func addInstallCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(newBootstrapCmd(f), newStatusCmd(f), newUninstallCmd(f), newImportCmd(f))
	root.AddCommand(newGetCmd(f), newHistoryCmd(f), newReconcileCmd(f), newSuspendCmd(f), newResumeCmd(f))
}
