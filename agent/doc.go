// Package agent is seal-agent: a controller-runtime manager that reconciles
// GitSync objects. Its stages live in sub-packages (source, render, apply,
// health, notify) and the reconciler in controller only wires them in order.
//
// The agent never writes decrypted data anywhere but the API server: not to
// disk, logs, events or status.
package agent
