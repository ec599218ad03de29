package controller

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/agent/apply"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// refusedErr is what client-go returns while the API server is down.
var refusedErr = &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6443},
	Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}

func TestNameFiles(t *testing.T) {
	s := newSources(
		[]*unstructured.Unstructured{obj("v1", "ConfigMap", "", "a"), obj("apps/v1", "Deployment", "web", "b"), obj("v1", "Namespace", "", "web")},
		[]string{"apps/a.yaml", "apps/b.yaml", "ns.yaml"},
	)
	rejected := apply.ObjectErrors{
		{Ref: apply.Ref{Version: "v1", Kind: "ConfigMap", Namespace: "target", Name: "a"}, Err: errors.New("bad name")},
		{Ref: apply.Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "b"}, Err: errors.New("bad replicas")},
		{Ref: apply.Ref{Version: "v1", Kind: "Namespace", Name: "web"}, Err: errors.New("forbidden")},
		{Ref: apply.Ref{Version: "v1", Kind: "Secret", Namespace: "x", Name: "unknown"}, Err: errors.New("no file")},
	}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"validation", fmt.Errorf("wrapped: %w", &apply.ValidationError{Objects: rejected}), []string{
			"4 object(s) rejected by the API server, so nothing was written",
			"apps/a.yaml: ConfigMap/target/a: bad name",
			"apps/b.yaml: Deployment/web/b: bad replicas",
			"ns.yaml: Namespace/web: forbidden",
			"Secret/x/unknown: no file",
		}},
		{"partial", &apply.ValidationError{Objects: rejected[:1], Partial: true}, []string{"only the CRDs and Namespaces"}},
		{"apply", rejected[1:2], []string{"1 object(s) failed: apps/b.yaml: Deployment/web/b: bad replicas"}},
		{"apiserver unreachable", apply.ObjectErrors{
			{Ref: rejected[0].Ref, Err: refusedErr},
			{Ref: rejected[1].Ref, Err: &apply.NotTriedError{Cause: refusedErr}},
		}, []string{"the API server could not be reached, 2 object(s) not written: dial tcp 127.0.0.1:6443: connect: connection refused; nothing was pruned, and the sync is retried in 10s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.nameFiles(tt.err, "target")
			for _, w := range tt.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			if tt.name == "apiserver unreachable" && strings.Contains(got.Error(), "Fix the file") {
				t.Errorf("message %q sends the reader to Git for an apiserver that is down", got)
			}
			var objErrs apply.ObjectErrors
			if !errors.As(got, &objErrs) {
				t.Error("the rewritten error no longer unwraps to the apply errors")
			}
		})
	}
	plain := errors.New("cluster unreachable")
	if got := s.nameFiles(plain, "target"); got != plain {
		t.Errorf("an error without objects was rewritten: %v", got)
	}
}
