// Package cli is the cobra command tree of the seal command: one file per
// command, each built by a constructor that takes its dependencies, with
// flags bound to an options struct and the work done by a run function that
// tests call directly.
//
// Commands never print a secret value: not on success, not in an error.
package cli
