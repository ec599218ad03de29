package controller

import (
	"context"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/helm"
)

// chartCredentials reads the Secret a HelmRelease's spec.chart.secretRef
// names, in gs's namespace, through the same reader as gs's other
// credentials (as its service account in tenant mode). The Secret's
// seal.dev/chart-hosts annotation says where its credentials may go.
func (r *renderer) chartCredentials(gs *v1alpha1.GitSync) func(context.Context, string) (*helm.Credentials, error) {
	return func(ctx context.Context, name string) (*helm.Credentials, error) {
		secret, err := r.secrets.get(ctx, gs, name, "a HelmRelease's spec.chart.secretRef")
		if err != nil {
			return nil, err
		}
		return helm.CredentialsFromSecret(secret.Namespace+"/"+secret.Name, secret.Annotations, secret.Data)
	}
}
