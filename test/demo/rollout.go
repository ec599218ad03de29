package main

import (
	"context"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// rolloutPause is how long the demo lets seal-agent wait for the
// Deployment before it rolls it out, so the wait shows.
const rolloutPause = 2 * time.Second

// standInForControllers plays the deployment controller and the kubelet,
// which this cluster does not run: while the GitSync waits for Deployment
// web (Reconciling, reason Progressing), it says so, and after a pause
// writes the status the controller writes once every replica of the
// current generation is available. It returns whether it rolled one out.
func (d *demo) standInForControllers(ctx context.Context, gs *v1alpha1.GitSync) (bool, error) {
	c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonProgressing ||
		!strings.Contains(c.Message, "Deployment.apps "+appNamespace+"/web") {
		return false, nil
	}
	var dep appsv1.Deployment
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: "web"}, &dep); err != nil {
		return false, objectErr("Deployment", appNamespace+"/web", "%w", err)
	}
	if dep.Status.ObservedGeneration == dep.Generation {
		return false, nil // rolled out already; the agent has yet to see it
	}
	d.say.say("GitSync %s: Ready waits, Reconciling=True %s: %s", syncName, c.Reason, firstLine(c.Message))
	d.say.say("(the demo stands in for the deployment controller and the kubelet: in %s it marks the rollout available)", seconds(rolloutPause))
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(rolloutPause):
	}
	n := int32(1)
	if dep.Spec.Replicas != nil {
		n = *dep.Spec.Replicas
	}
	now := metav1.Now()
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
	if err := d.kube.Client.Status().Update(ctx, &dep); err != nil {
		return false, objectErr("Deployment", appNamespace+"/web", "writing its rolled-out status: %w", err)
	}
	d.say.say("Deployment %s/web: %d/%d replicas available", appNamespace, n, n)
	return true, nil
}
