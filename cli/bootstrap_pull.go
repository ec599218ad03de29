package cli

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pullFailures are the reasons the kubelet gives a waiting container
// whose image it cannot pull; none of them clears without a change.
var pullFailures = map[string]bool{
	"ErrImagePull":      true,
	"ImagePullBackOff":  true,
	"InvalidImageName":  true,
	"ErrImageNeverPull": true,
}

// imagePullProblem looks at the pods of the agent's Deployment, as the
// kubelet reports them, and returns an error naming the first container
// whose image cannot be pulled; nil when there is none (or nothing can be
// read yet: the wait goes on and its timeout reports that).
func (b *bootstrapper) imagePullProblem(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	ns := b.plan.agentNamespace
	var d appsv1.Deployment
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: b.plan.deployment}, &d); err != nil || d.Spec.Selector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil
	}
	var pods corev1.PodList
	if err := b.c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil
	}
	for _, pod := range pods.Items {
		statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
		for _, cs := range statuses {
			w := cs.State.Waiting
			if w == nil || !pullFailures[w.Reason] {
				continue
			}
			return withHint(fmt.Errorf("seal-agent cannot start: pod %s/%s cannot pull the image %s of container %s: %s: %s",
				ns, pod.Name, cs.Image, cs.Name, w.Reason, w.Message),
				"push the image to a registry the cluster can pull from (make image IMAGE=REGISTRY/seal-agent:TAG), "+
					"then run seal bootstrap again with --image REGISTRY/seal-agent:TAG (it carries on where it stopped)")
		}
	}
	return nil
}
