package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRedact(t *testing.T) {
	secretRef := Ref{Version: "v1", Kind: "Secret", Namespace: "ns", Name: "db"}
	const value = "s3cr3t-value"
	invalid := apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "db", field.ErrorList{
		field.Invalid(field.NewPath("data").Key("password"), value, "bad"),
	})
	typed := apierrors.NewInternalError(errors.New(
		`failed to create typed patch object (ns/db; /v1, Kind=Secret): errors:` + "\n" +
			`  .data.password: expected string, got &value.valueUnstructured{Value:"` + value + `: x\n  .data.fake: y"}` + "\n" +
			`  .stringData.token: expected string, got &value.valueUnstructured{Value:42}`))
	tests := []struct {
		name string
		ref  Ref
		err  error
		want string
	}{
		{"invalid field keeps path and type", secretRef, invalid,
			"Invalid: data[password] (FieldValueInvalid) (server message withheld: it may quote Secret data)"},
		{"typing errors keep the paths only", secretRef, typed,
			"InternalError: .data.password, .stringData.token (server message withheld: it may quote Secret data)"},
		{"wrapped status", secretRef, fmt.Errorf("deleting: %w", apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "db", errors.New(value))),
			"Conflict (server message withheld: it may quote Secret data)"},
		{"unknown error", secretRef, errors.New(value), "request failed (details withheld: they may quote Secret data)"},
		{"context", secretRef, fmt.Errorf("Patch %q: %w", value, context.DeadlineExceeded), "context deadline exceeded"},
		{"other kinds keep the message", Ref{Version: "v1", Kind: "ConfigMap", Name: "x"}, errors.New("plain"), "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.ref, tt.err)
			if diff := cmp.Diff(tt.want, got.Error()); diff != "" {
				t.Errorf("redacted message (-want +got):\n%s", diff)
			}
		})
	}
	if got := redact(secretRef, invalid); !apierrors.IsInvalid(got) {
		t.Errorf("redacted Invalid error is not apierrors.IsInvalid: %#v", got)
	}
	var status apierrors.APIStatus
	if errors.As(redact(secretRef, invalid), &status) {
		for _, c := range status.Status().Details.Causes {
			if c.Message != "" {
				t.Errorf("cause kept its message %q", c.Message)
			}
		}
	}
}

func TestObjectErrorsCapsTheList(t *testing.T) {
	var errs ObjectErrors
	for i := range maxListed + 3 {
		errs = append(errs, &ObjectError{Ref: Ref{Kind: "ConfigMap", Namespace: "ns", Name: fmt.Sprint(i)}, Err: errors.New("bad")})
	}
	ve := &ValidationError{Objects: errs}
	if !errors.Is(ve, errs[5].Err) {
		t.Error("ValidationError does not unwrap to its object errors")
	}
	msg := ve.Error()
	if len(msg) > 1000 || !strings.HasSuffix(msg, "; and 3 more") {
		t.Errorf("message %q: want it capped with a count", msg)
	}
}
