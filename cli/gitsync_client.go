package cli

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Cluster access shared by seal get, reconcile, suspend and resume.

// gitSyncClient connects to the cluster the kube flags name, or returns
// the factory's client when a test set one. where describes the cluster
// for messages. The client has no overall timeout, which would cut a
// watch short: callers bound each request themselves.
func (t kubeTarget) gitSyncClient(f *Factory) (c client.WithWatch, where string, err error) {
	if f.KubeClient != nil {
		c, err := f.KubeClient()
		return c, "test", err
	}
	wd, err := factoryWD(f)
	if err != nil {
		return nil, "", err
	}
	cfg, where, err := t.restConfig(f, wd)
	if err != nil {
		return nil, "", err
	}
	cfg.Timeout = 0
	c, err = newKubeClient(cfg, where)
	return c, where, err
}

// getGitSync reads one GitSync, saying what to do when it is not there.
func getGitSync(ctx context.Context, c client.Client, where string, key client.ObjectKey) (*v1alpha1.GitSync, error) {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	var gs v1alpha1.GitSync
	err := c.Get(ctx, key, &gs)
	if apierrors.IsNotFound(err) {
		return nil, withHint(fmt.Errorf("GitSync %s not found in the cluster at %s", key, where),
			"seal get gitsyncs -A lists the GitSyncs of every namespace; -n NAMESPACE names another namespace")
	}
	if err != nil {
		return nil, kubeError(err, where, "reading GitSync "+key.String())
	}
	return &gs, nil
}
