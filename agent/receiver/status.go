package receiver

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Receivers' Secrets are not watched (the agent caches no Secret), so the
// status is checked again after these.
const (
	recheckReady    = 5 * time.Minute
	recheckNotReady = 30 * time.Second
)

// StatusReconciler writes a Receiver's status: its webhook path and
// whether its Secret holds a usable token.
type StatusReconciler struct {
	Client  client.Client // cached: Receivers
	Secrets client.Reader // uncached
}

// Reconcile checks one Receiver.
func (r *StatusReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var rcv v1alpha1.Receiver
	if err := r.Client.Get(ctx, req.NamespacedName, &rcv); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	base := rcv.DeepCopy()
	rcv.Status.ObservedGeneration = rcv.Generation
	rcv.Status.WebhookPath = rcv.WebhookPath()
	reason, msg := r.check(ctx, &rcv)
	ready := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: rcv.Generation}
	if reason != v1alpha1.ReasonSucceeded {
		ready.Status = metav1.ConditionFalse
	}
	meta.SetStatusCondition(&rcv.Status.Conditions, ready)
	patch := client.MergeFrom(base)
	if data, err := patch.Data(&rcv); err == nil && string(data) != "{}" {
		if err := r.Client.Status().Patch(ctx, &rcv, patch); err != nil {
			return reconcile.Result{}, client.IgnoreNotFound(err)
		}
	}
	if ready.Status != metav1.ConditionTrue {
		return reconcile.Result{RequeueAfter: recheckNotReady}, nil
	}
	return reconcile.Result{RequeueAfter: recheckReady}, nil
}

// check reads the Receiver's Secret; the message never holds its content.
func (r *StatusReconciler) check(ctx context.Context, rcv *v1alpha1.Receiver) (reason, msg string) {
	key := client.ObjectKey{Namespace: rcv.Namespace, Name: rcv.Spec.SecretRef.Name}
	var secret corev1.Secret
	if err := r.Secrets.Get(ctx, key, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return v1alpha1.ReasonInvalidSpec, fmt.Sprintf("Secret %s not found", key)
		}
		return v1alpha1.ReasonInvalidSpec, fmt.Sprintf("reading Secret %s: %v", key, err)
	}
	token, ok := secret.Data[v1alpha1.ReceiverTokenKey]
	switch {
	case !ok:
		return v1alpha1.ReasonInvalidSpec, fmt.Sprintf("Secret %s has no key %q", key, v1alpha1.ReceiverTokenKey)
	case len(token) < v1alpha1.MinReceiverTokenLength:
		return v1alpha1.ReasonInvalidSpec, fmt.Sprintf("the token in Secret %s is shorter than %d characters", key, v1alpha1.MinReceiverTokenLength)
	}
	if _, err := metav1.LabelSelectorAsSelector(rcv.Spec.Selector); err != nil {
		return v1alpha1.ReasonInvalidSpec, fmt.Sprintf("spec.selector: %v", err)
	}
	return v1alpha1.ReasonSucceeded, fmt.Sprintf("receiving %s pushes at %s", rcv.Spec.Provider, rcv.Status.WebhookPath)
}
