package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrNotEstablished means an applied CustomResourceDefinition was not
// established, or its kinds not served, within Options.WaitTimeout.
var ErrNotEstablished = errors.New("not established")

// ObjectError is a failure concerning one object.
type ObjectError struct {
	Ref Ref
	Err error
}

func (e *ObjectError) Error() string { return e.Ref.Short() + ": " + e.Err.Error() }
func (e *ObjectError) Unwrap() error { return e.Err }

// maxListed caps how many objects an aggregate error message lists.
const maxListed = 20

// ObjectErrors are failures of several objects, sorted by Ref.
type ObjectErrors []*ObjectError

func (es ObjectErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(es)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (es ObjectErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// ValidationError means objects of the set were rejected before they were
// written: by the server-side dry-run, or because the set itself is
// unusable (unknown kind, duplicate, missing name).
type ValidationError struct {
	Objects ObjectErrors
	// Partial is true when the CRDs and Namespaces of the set had already
	// been applied (the rejected objects' kinds or namespaces came from
	// them); false means nothing at all was written.
	Partial bool
}

func (e *ValidationError) Error() string {
	when := "nothing was written"
	if e.Partial {
		when = "only the set's CRDs and Namespaces were written"
	}
	return fmt.Sprintf("%d object(s) rejected, %s: %s", len(e.Objects), when, e.Objects.Error())
}

func (e *ValidationError) Unwrap() error { return e.Objects }

// redact maps a request error about a Secret to words of our own: the
// apiserver may quote the submitted values in its message. Codes, reasons
// and field paths are kept, so apierrors.IsInvalid and the like still work.
func redact(ref Ref, err error) error {
	if err == nil || !ref.isSecret() {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return errors.New("request failed (details withheld: they may quote Secret data)")
	}
	return &redactedError{status: redactStatus(status.Status())}
}

type redactedError struct{ status metav1.Status }

func (e *redactedError) Error() string         { return e.status.Message }
func (e *redactedError) Status() metav1.Status { return e.status }

func redactStatus(in metav1.Status) metav1.Status {
	out := metav1.Status{Status: in.Status, Code: in.Code, Reason: in.Reason}
	var fields []string
	if in.Details != nil {
		out.Details = &metav1.StatusDetails{Name: in.Details.Name, Group: in.Details.Group, Kind: in.Details.Kind}
		for _, c := range in.Details.Causes {
			out.Details.Causes = append(out.Details.Causes, metav1.StatusCause{Type: c.Type, Field: c.Field})
			if c.Field != "" {
				fields = append(fields, fmt.Sprintf("%s (%s)", c.Field, c.Type))
			}
		}
	}
	if len(fields) == 0 {
		fields = pathsInMessage(in.Message)
	}
	reason := string(in.Reason)
	if reason == "" {
		reason = http.StatusText(int(in.Code))
	}
	if reason == "" {
		reason = "rejected"
	}
	msg := reason
	if len(fields) > 0 {
		msg += ": " + strings.Join(fields, ", ")
	}
	out.Message = msg + " (server message withheld: it may quote Secret data)"
	return out
}

// fieldPath accepts a plain field path such as .data.password: only key
// characters (a Secret's data keys are not secret, its values are).
var fieldPath = regexp.MustCompile(`^\.[A-Za-z0-9._\-\[\]]+$`)

// pathsInMessage recovers the field paths from a server-side apply typing
// error ("...(ns/name; /v1, Kind=Secret): .data.k: expected string, got
// <value>" or "...: errors:\n  .data.a: ...\n  .data.b: ..."). Values are
// printed after the path, Go-quoted on one line, so only the text before
// the first ": " of each line is considered.
func pathsInMessage(msg string) []string {
	_, rest, ok := strings.Cut(msg, "): ")
	if !ok {
		return nil
	}
	var paths []string
	for _, line := range strings.Split(rest, "\n") {
		head, _, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if ok && fieldPath.MatchString(head) {
			paths = append(paths, head)
		}
	}
	return paths
}
