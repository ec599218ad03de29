package apply

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Action is what happened to one object.
type Action string

const (
	// Created: the object did not exist and was created.
	Created Action = "created"
	// Configured: the desired state changed and the server changed the object.
	Configured Action = "configured"
	// Unchanged: the object already matched; either no request was sent
	// (memory and live resourceVersion agreed) or the apply changed nothing.
	Unchanged Action = "unchanged"
	// DriftCorrected: the desired state did not change but the object had
	// been changed or deleted in the cluster, and the apply put it back.
	DriftCorrected Action = "drift-corrected"
	// Deleted: Prune deleted the object, or it was already gone.
	Deleted Action = "deleted"
	// Skipped: Prune left the object alone; Reason says why.
	Skipped Action = "skipped"
)

// actions lists every Action in the order summaries show them.
var actions = []Action{Created, Configured, DriftCorrected, Unchanged, Deleted, Skipped}

// ObjectResult is the outcome for one object.
type ObjectResult struct {
	Ref    Ref
	Action Action
	// Reason explains Skipped and some Deleted results; empty otherwise.
	Reason string
}

// Result is the outcome of Apply or Prune.
type Result struct {
	// Objects holds one entry per object handled, sorted by Ref.
	Objects []ObjectResult
	// Inventory is every object of the applied set, sorted: what a later
	// sync compares against (Stale) to find what to prune. Empty for Prune.
	Inventory []Ref
}

// Count returns how many objects had action a.
func (r *Result) Count(a Action) int {
	n := 0
	for _, o := range r.Objects {
		if o.Action == a {
			n++
		}
	}
	return n
}

// Counts returns the number of objects per action, without zero entries.
func (r *Result) Counts() map[Action]int {
	m := map[Action]int{}
	for _, o := range r.Objects {
		m[o.Action]++
	}
	return m
}

// Changed reports whether any object was created, configured, corrected
// or deleted.
func (r *Result) Changed() bool {
	for _, o := range r.Objects {
		if o.Action != Unchanged && o.Action != Skipped {
			return true
		}
	}
	return false
}

// Summary returns a line such as "2 created, 1 configured, 997 unchanged".
func (r *Result) Summary() string {
	counts := r.Counts()
	var parts []string
	for _, a := range actions {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	if len(parts) == 0 {
		return "no objects"
	}
	return strings.Join(parts, ", ")
}

func (r *Result) sort() {
	slices.SortFunc(r.Objects, func(a, b ObjectResult) int { return cmp.Compare(a.Ref.String(), b.Ref.String()) })
	SortRefs(r.Inventory)
}
