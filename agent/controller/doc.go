// Package controller is the GitSync reconciler. It only wires the stages in
// order — source (fetch), render (and decrypt), apply, prune — and records
// the outcome: one status patch per reconcile, an event, metrics and a
// commit status.
//
// It never prunes after a failed fetch, render, decryption or apply, never
// prunes everything on an empty render unless spec.allowEmpty says so, and
// never puts decrypted data in a status, event, log line or error: stage
// errors come from packages that redact them, and messages name files and
// objects only.
package controller
