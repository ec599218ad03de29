package cli

import (
	"context"
	"errors"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
)

// bootstrapper runs the steps of seal bootstrap that talk to the cluster.
type bootstrapper struct {
	f     *Factory
	c     client.WithWatch
	where string
	plan  *bootstrapPlan
	out   *stickyWriter
}

// adminHint is the hint of every "not allowed" error of bootstrap.
const adminHint = "run seal bootstrap with a context that has cluster-admin (kubectl auth can-i '*' '*' answers yes), or ask a cluster admin to run it"

// preflight checks that the cluster answers and that the credentials may
// do everything: the manifests bind seal-agent to cluster-admin, which
// Kubernetes lets only cluster admins do. Nothing is written before.
func preflight(ctx context.Context, cfg *rest.Config, where string, tenant bool) error {
	admin, err := isClusterAdmin(ctx, cfg, where)
	switch {
	case err != nil:
		return err
	case !admin && tenant:
		return withHint(fmt.Errorf("the cluster at %s: your credentials are not cluster-admin, and seal bootstrap needs it: "+
			"it installs a CRD, ClusterRoles and an admission policy, and lets seal-agent impersonate service accounts", where),
			adminHint)
	case !admin:
		return withHint(fmt.Errorf("the cluster at %s: your credentials are not cluster-admin, and seal bootstrap needs it: "+
			"it installs a CRD and ClusterRoles, and binds seal-agent to cluster-admin so that it can apply whatever Git holds", where),
			adminHint)
	}
	return nil
}

// isClusterAdmin checks that the cluster answers and asks it whether the
// credentials may do everything.
func isClusterAdmin(ctx context.Context, cfg *rest.Config, where string) (bool, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false, fmt.Errorf("cluster at %s: %w", where, err)
	}
	if _, err := cs.DiscoveryClient.ServerVersionWithContext(ctx); err != nil {
		return false, kubeError(err, where, "reading the cluster's version")
	}
	review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: "*", Group: "*", Resource: "*",
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, kubeError(err, where, "checking your permissions")
	}
	return review.Status.Allowed, nil
}

// install applies the manifests, CRD and Namespace first, and prints what
// happened to each object.
func (b *bootstrapper) install(ctx context.Context) error {
	b.printf("Installing seal-agent in the cluster at %s\n", b.where)
	return b.apply(ctx, b.plan.manifests, "installing seal-agent")
}

// apply server-side applies objs as field manager seal-bootstrap, then
// prints one line per object in the order given: created, configured or
// unchanged.
func (b *bootstrapper) apply(ctx context.Context, objs []*unstructured.Unstructured, what string) error {
	a, err := apply.New(b.c, apply.Options{
		FieldManager: bootstrapFieldManager,
		Labels:       bootstrapLabels(),
	})
	if err != nil {
		return err
	}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		return b.applyError(err, what)
	}
	actions := map[string]apply.Action{}
	for _, o := range res.Objects {
		actions[o.Ref.String()] = o.Action
	}
	for _, o := range objs {
		ref := apply.RefOf(o)
		b.printf("  %-10s %s\n", actions[ref.String()], ref.Short())
	}
	return b.out.err
}

// applyError says what to do about a failed apply.
func (b *bootstrapper) applyError(err error, what string) error {
	var oe *apply.ObjectError
	if errors.As(err, &oe) && apierrors.IsForbidden(oe) {
		return withHint(fmt.Errorf("%s: %w", what, err), adminHint)
	}
	var status apierrors.APIStatus
	var verr *apply.ValidationError
	if !errors.As(err, &status) && !errors.As(err, &verr) && !errors.Is(err, context.Canceled) && !errors.Is(err, apply.ErrNotEstablished) {
		return kubeError(err, b.where, what)
	}
	return withHint(fmt.Errorf("%s in the cluster at %s: %w", what, b.where, err),
		"fix what is named above and run seal bootstrap again: it carries on where it stopped")
}

// bootstrapLabels are set on every object bootstrap applies. Every install
// object carries this label already; the applier needs one to call its own.
func bootstrapLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/part-of": "seal"}
}

func (b *bootstrapper) printf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }
