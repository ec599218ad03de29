package sealcheck

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/seal-gitops/seal/crypto"
)

// ErrViolation is what every *Error wraps.
var ErrViolation = errors.New("seal violation")

// Violation is one place where a sealed value would have gone where it may
// not, or a Secret value that was not sealed.
type Violation struct {
	// Object is the rendered object, "Kind namespace/name".
	Object string
	// Field is where in the object, "data.password", "metadata.labels.app".
	Field string
	// Source is the file the object came from (its manifest, or the
	// kustomization that built it).
	Source string
	// File and Where name the sealed value, when one is concerned and
	// known: the sealed file and the value's place in it.
	File, Where string
	// Problem says what is wrong and what to do.
	Problem string
}

func (v Violation) String() string {
	var b strings.Builder
	if v.File != "" {
		fmt.Fprintf(&b, "the sealed value at %s of %s would land in %s at %s", v.Where, v.File, v.Object, v.Field)
	} else {
		fmt.Fprintf(&b, "%s at %s", v.Object, v.Field)
	}
	if v.Source != "" && v.Source != v.File {
		fmt.Fprintf(&b, " (built from %s)", v.Source)
	}
	return b.String() + ": " + v.Problem
}

// Error is a failed check: every violation found.
type Error struct{ Violations []Violation }

// mostShown is how many violations a message spells out.
const mostShown = 3

func (e *Error) Error() string {
	parts := make([]string, 0, mostShown+1)
	for i, v := range e.Violations {
		if i == mostShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Violations)-mostShown))
			break
		}
		parts = append(parts, v.String())
	}
	return "seal check refused the revision, nothing was applied or pruned: " + strings.Join(parts, "; ")
}

func (e *Error) Unwrap() error { return ErrViolation }

// display names an object for messages. Names and namespaces are shown
// only when they look like Kubernetes names: a rendered name could hold
// anything a transformation put there.
func display(t *target) string {
	kind, name := t.obj.GetKind(), t.name
	if !kindRe.MatchString(kind) {
		kind = "(unusual kind)"
	}
	if !nameRe.MatchString(name) {
		name = "(unusual name)"
	}
	if t.ns == "" {
		return kind + " " + name
	}
	ns := t.ns
	if !nameRe.MatchString(ns) {
		ns = "(unusual namespace)"
	}
	return kind + " " + ns + "/" + name
}

// showIdentity shows a binding as "Kind namespace/name".
func showIdentity(id string) string {
	kind, ns, name, ok := crypto.SplitIdentity(id)
	if !ok {
		return "(something that is not an identity)"
	}
	if ns == "" {
		return kind + " " + name + " (no namespace)"
	}
	return kind + " " + ns + "/" + name
}

var (
	kindRe = regexp.MustCompile(`^[A-Za-z0-9]{1,63}$`)
	nameRe = regexp.MustCompile(`^[a-z0-9.-]{1,253}$`)
)
