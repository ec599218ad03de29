package controller

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/agent/apply"
)

// maxNamed is how many rejected objects a status message names.
const maxNamed = 10

// sources maps each rendered object to the file it came from, so an error
// about an object can say which file to fix.
type sources map[string]string

func sourceKey(group, kind, namespace, name string) string {
	return group + "/" + kind + "/" + namespace + "/" + name
}

func newSources(objs []*unstructured.Unstructured, files []string) sources {
	s := make(sources, len(objs))
	for i, o := range objs {
		if i < len(files) {
			gvk := o.GroupVersionKind()
			s[sourceKey(gvk.Group, gvk.Kind, o.GetNamespace(), o.GetName())] = files[i]
		}
	}
	return s
}

// file is the file ref came from; targetNamespace is the namespace the
// applier gave objects that had none.
func (s sources) file(ref apply.Ref, targetNamespace string) string {
	if f, ok := s[sourceKey(ref.Group, ref.Kind, ref.Namespace, ref.Name)]; ok {
		return f
	}
	if ref.Namespace != "" && ref.Namespace == targetNamespace {
		return s[sourceKey(ref.Group, ref.Kind, "", ref.Name)]
	}
	return ""
}

// sourcedError is an apply error whose message names the file of each
// object it concerns.
type sourcedError struct {
	msg string
	err error
}

func (e *sourcedError) Error() string { return e.msg }
func (e *sourcedError) Unwrap() error { return e.err }

// nameFiles rewrites an apply error so each failed object is named with
// its file: "apps/web.yaml: Deployment/prod/web: …".
func (s sources) nameFiles(err error, targetNamespace string) error {
	var objErrs apply.ObjectErrors
	if !errors.As(err, &objErrs) || len(objErrs) == 0 {
		return err
	}
	if cause := apply.FirstUnreachable(objErrs); cause != nil {
		// Nothing to fix in Git: say what happened, not which files.
		return &sourcedError{msg: fmt.Sprintf("the API server could not be reached, %d object(s) not written: %v; nothing was pruned, and the sync is retried in %s",
			len(objErrs), cause, unreachableRetryInterval), err: err}
	}
	var parts []string
	for i, oe := range objErrs {
		if i == maxNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(objErrs)-maxNamed))
			break
		}
		if f := s.file(oe.Ref, targetNamespace); f != "" {
			parts = append(parts, f+": "+oe.Error())
		} else {
			parts = append(parts, oe.Error())
		}
	}
	what := fmt.Sprintf("%d object(s) failed", len(objErrs))
	var ve *apply.ValidationError
	if errors.As(err, &ve) {
		what = fmt.Sprintf("%d object(s) rejected by the API server, so nothing was written", len(objErrs))
		if ve.Partial {
			what = fmt.Sprintf("%d object(s) rejected by the API server; only the CRDs and Namespaces they need were written", len(objErrs))
		}
	}
	return &sourcedError{msg: what + ": " + strings.Join(parts, "; ") + ". Fix the file(s) in Git", err: err}
}
