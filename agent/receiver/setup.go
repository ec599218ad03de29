package receiver

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Setup registers the webhook server and the Receiver status controller
// with mgr.
func Setup(ctx context.Context, mgr manager.Manager, opts Options) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Receiver{}, IndexWebhookPath, IndexReceiver); err != nil {
		return fmt.Errorf("indexing Receivers by webhook path: %w", err)
	}
	err := builder.ControllerManagedBy(mgr).
		For(&v1alpha1.Receiver{}).
		Named("receiver").
		Complete(&StatusReconciler{Client: mgr.GetClient(), Secrets: mgr.GetAPIReader()})
	if err != nil {
		return fmt.Errorf("setting up the Receiver controller: %w", err)
	}
	srv := NewServer(opts, mgr.GetClient(), mgr.GetAPIReader(), mgr.GetLogger().WithName("receiver"))
	return mgr.Add(srv)
}
