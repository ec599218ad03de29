package cli

import "github.com/spf13/cobra"

// addCryptCommands adds keygen, encrypt (and the "seal PATH…" shorthand),
// decrypt, edit, set, unset and bind.
func addCryptCommands(root *cobra.Command, f *Factory) {
	root.AddCommand(newKeygenCmd(f), newEncryptCmd(f), newDecryptCmd(f), newEditCmd(f), newSetCmd(f), newUnsetCmd(f), newBindCmd(f))
}
