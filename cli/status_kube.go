package cli

import (
	"context"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Cluster access shared by seal bootstrap and seal status.

// installScheme knows the kinds bootstrap and status read and write: the
// built-in ones, CRDs and GitSync.
func installScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the client scheme: %w", err)
		}
	}
	return s, nil
}

// newKubeClient returns a controller-runtime client that can also watch.
// Its REST mapper discovers kinds lazily, so a CRD applied a moment ago is
// found once it is served.
func newKubeClient(cfg *rest.Config, where string) (client.WithWatch, error) {
	scheme, err := installScheme()
	if err != nil {
		return nil, err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cluster at %s: %w", where, err)
	}
	return c, nil
}

// kubeError turns an API error about what (an object, or "listing
// GitSyncs") into a message that says what to do. Errors that are not API
// errors are taken for an unreachable cluster.
func kubeError(err error, where, what string) error {
	var status apierrors.APIStatus
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, err)
	case meta.IsNoMatchError(err):
		return withHint(fmt.Errorf("%s: the cluster at %s does not serve GitSync (seal.dev/v1alpha1): seal-agent is not installed", what, where),
			"install it with seal bootstrap, or use the --context of a cluster that runs it")
	case apierrors.IsForbidden(err):
		return withHint(fmt.Errorf("%s: not allowed in the cluster at %s: %w", what, where, err),
			"ask for the permission named above, or use another --context")
	case apierrors.IsUnauthorized(err):
		return withHint(fmt.Errorf("cluster at %s: the credentials were refused: %w", where, err),
			"log in to the cluster again, or use another --context")
	case errors.As(err, &status):
		return fmt.Errorf("%s: %w", what, err)
	default:
		return withHint(fmt.Errorf("cannot reach the cluster at %s: %w", where, err),
			"check that the cluster is up and that --context and --kubeconfig point at it")
	}
}
