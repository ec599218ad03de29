// Package redact removes decrypted values from text that leaves the agent.
//
// The seal check keeps decrypted values out of everything the agent
// applies, and renderers never hold them; a Redactor is the defence behind
// that: built once per reconcile from every value decrypted, it is applied
// to every string the reconcile sends out (conditions, events, log lines,
// commit-status descriptions, returned errors), so a value that reached a
// message some other way still never leaves.
package redact
