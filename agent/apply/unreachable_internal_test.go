package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func refused() error {
	return &url.Error{Op: "Patch", URL: "https://127.0.0.1:6443/api/v1/namespaces/team/configmaps/web",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}
}

func TestUnreachable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused(), true},
		{"wrapped", fmt.Errorf("ConfigMap team/web: %w", refused()), true},
		{"connection reset", &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}}, true},
		{"cut short", &url.Error{Op: "Patch", URL: "https://x", Err: io.ErrUnexpectedEOF}, true},
		{"not tried", &NotTriedError{Cause: refused()}, true},
		{"an answer: conflict", apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "web", errors.New("changed")), false},
		{"an answer: too many requests", apierrors.NewTooManyRequests("slow down", 1), false},
		{"an answer: invalid", apierrors.NewBadRequest("spec.replicas: must be a number"), false},
		{"context canceled", context.Canceled, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := Unreachable(tt.err); got != tt.want {
			t.Errorf("%s: Unreachable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Once the API server cannot be reached, the calls not started are not
// made: each would fail the same way.
func TestParallelStopsWhenTheAPIServerIsUnreachable(t *testing.T) {
	var calls atomic.Int32
	errs := parallel(context.Background(), 50, 1, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return refused()
		}
		return nil
	})
	if got := calls.Load(); got != 4 {
		t.Errorf("%d calls, want 4 (up to the unreachable one)", got)
	}
	for i, err := range errs {
		var nt *NotTriedError
		switch {
		case i < 3 && err != nil:
			t.Errorf("call %d: %v, want nil", i, err)
		case i == 3 && !Unreachable(err):
			t.Errorf("call %d: %v, want the refusal", i, err)
		case i > 3 && !errors.As(err, &nt):
			t.Errorf("call %d: %v, want not tried", i, err)
		}
	}
	oes := ObjectErrors{{Ref: Ref{Kind: "ConfigMap", Name: "a"}, Err: errs[3]}, {Ref: Ref{Kind: "ConfigMap", Name: "b"}, Err: errs[4]}}
	if cause := FirstUnreachable(oes); cause == nil || !Unreachable(cause) {
		t.Errorf("FirstUnreachable = %v, want the refusal", cause)
	}
	if cause := FirstUnreachable(ObjectErrors{{Ref: Ref{Kind: "ConfigMap", Name: "a"}, Err: apierrors.NewBadRequest("no")}}); cause != nil {
		t.Errorf("FirstUnreachable of an answer = %v, want nil", cause)
	}

	// Other failures do not stop the rest.
	calls.Store(0)
	parallel(context.Background(), 10, 1, func(context.Context, int) error {
		calls.Add(1)
		return apierrors.NewBadRequest("invalid")
	})
	if got := calls.Load(); got != 10 {
		t.Errorf("%d calls after answers that were errors, want all 10", got)
	}
}
