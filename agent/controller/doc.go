// Package controller is the GitSync reconciler. A reconcile runs the
// stages of one sync in order, each behind a small interface
// (pipeline.go), stops at the first failure, and records the outcome in
// one status patch, events, metrics and a commit status:
//
//	dependencies ─► source ─► verify ─► render ─► seal check ─► apply ─► prune ─► health ─► notify
//	(dependsOn     (fetch,   (commit   (YAML,     (sealed values  (SSA)    (inventory) (kstatus,  (commit
//	 Ready, no      hosts)    signature) kustomize, where sealed,                       spec.wait)  status)
//	 cycle)                              decrypt)   then swapped in)
//
// Each stage gets the GitSync and what the stages before it returned;
// none reads another's result from the status. classify is the one place
// a stage's error becomes a condition reason and a Stalled verdict. A
// record per GitSync (records.go) owns its clients, Applier, notifier and
// git cache; deleting the GitSync frees them.
//
// It never prunes after a failed fetch, verification, render, decryption,
// seal check or apply, never prunes everything on an empty render unless
// spec.allowEmpty says so, and never puts decrypted data in a status,
// event, log line or error: stage errors come from packages that redact
// them, the render's redactor masks every later one, and messages name
// files and objects only.
package controller
