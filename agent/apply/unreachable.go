package apply

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Unreachable reports whether err says the API server could not be
// reached at all (connection refused, reset or cut short), as opposed to
// an answer from it. client-go has already retried what it retries.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var nt *NotTriedError
	if errors.As(err, &nt) {
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return false // it answered
	}
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err)
}

// NotTriedError is what an object gets that was not tried because the API
// server could not be reached for another one first: sending the rest
// would only fail the same way, each taking its share of the client's
// request budget.
type NotTriedError struct {
	// Cause is the error that showed the API server unreachable.
	Cause error
}

func (e *NotTriedError) Error() string {
	return fmt.Sprintf("not tried, the API server could not be reached: %v", e.Cause)
}

func (e *NotTriedError) Unwrap() error { return e.Cause }

// FirstUnreachable returns the first error of errs that says the API
// server could not be reached, or nil.
func FirstUnreachable(errs ObjectErrors) error {
	for _, e := range errs {
		var nt *NotTriedError
		if errors.As(e, &nt) {
			return nt.Cause
		}
	}
	for _, e := range errs {
		if Unreachable(e) {
			return e.Err
		}
	}
	return nil
}
