package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
)

const (
	// agentPollInterval is how often bootstrap looks for the agent's key.
	agentPollInterval = time.Second
	// agentReportInterval is how often a "still waiting" line is printed
	// when stderr is not a terminal (a terminal gets a spinner).
	agentReportInterval = 30 * time.Second
)

// waitForAgent waits until the agent has published its recipient: proof
// that it runs and holds its key. It returns the recipient. Progress goes
// to stderr; on timeout the error says how the Deployment is doing. When
// the kubelet reports that an agent pod's image cannot be pulled, the wait
// ends at once with that reason.
func (b *bootstrapper) waitForAgent(ctx context.Context) (string, error) {
	ns, timeout := b.plan.agentNamespace, b.plan.opts.Timeout
	cmName := fmt.Sprintf("ConfigMap %s/%s", ns, keyring.PublicKeyConfigMap)
	var bar *progressbar.ProgressBar
	if b.f.IO.ErrTerminal {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(b.f.IO.Err),
			progressbar.OptionSetDescription("waiting for seal-agent to start"),
			progressbar.OptionSpinnerType(14), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	} else {
		fmt.Fprintf(b.f.IO.Err, "waiting up to %s for seal-agent to start and publish its key in %s\n", timeout, cmName)
	}
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(agentPollInterval)
	defer tick.Stop()
	lastReport := start
	for {
		recipient, state, err := b.agentRecipient(ctx, cmName)
		if err != nil || recipient != "" {
			if recipient != "" {
				b.printf("seal-agent is ready; it decrypts what is encrypted for %s\n", keys.Short(recipient))
			}
			return recipient, err
		}
		if err := b.imagePullProblem(ctx); err != nil {
			return "", err
		}
		if bar != nil {
			bar.Describe("waiting for seal-agent to start: " + b.deploymentState(ctx))
			bar.Add(1)
		} else if time.Since(lastReport) >= agentReportInterval {
			lastReport = time.Now()
			fmt.Fprintf(b.f.IO.Err, "still waiting for seal-agent (%s): %s\n", time.Since(start).Round(time.Second), b.deploymentState(ctx))
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for seal-agent: %w", ctx.Err())
		case <-deadline.C:
			return "", withHint(fmt.Errorf("seal-agent did not publish its key within %s: %s %s; %s",
				timeout, cmName, state, b.deploymentState(ctx)),
				"see why it does not run with kubectl -n %s describe deploy/%s (and kubectl -n %s logs deploy/%s), "+
					"then run seal bootstrap again (it carries on where it stopped), with a longer --timeout if it is only slow",
				ns, b.plan.deployment, ns, b.plan.deployment)
		case <-tick.C:
		}
	}
}

// agentRecipient reads the public-key ConfigMap: the recipient once it
// holds one, else what is missing. API errors other than "not found" end
// the wait; an unreadable recipient too.
func (b *bootstrapper) agentRecipient(ctx context.Context, cmName string) (recipient, state string, err error) {
	rctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	var cm corev1.ConfigMap
	err = b.c.Get(rctx, client.ObjectKey{Namespace: b.plan.agentNamespace, Name: keyring.PublicKeyConfigMap}, &cm)
	switch {
	case apierrors.IsNotFound(err):
		return "", "does not exist yet", nil
	case ctx.Err() != nil:
		return "", "", fmt.Errorf("waiting for seal-agent: %w", ctx.Err())
	case err != nil:
		return "", "", kubeError(err, b.where, "reading "+cmName)
	}
	raw := strings.TrimSpace(cm.Data[keyring.RecipientKey])
	if raw == "" {
		return "", fmt.Sprintf("has no %q key yet", keyring.RecipientKey), nil
	}
	parsed, _, err := keys.ParseRecipient(raw)
	if err != nil {
		return "", "", fmt.Errorf("%s: %s: %w", cmName, keyring.RecipientKey, err)
	}
	return fmt.Sprint(parsed), "", nil
}

// deploymentState describes the agent's Deployment: available replicas
// and conditions, for progress lines and the timeout message.
func (b *bootstrapper) deploymentState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, kubeRequestTimeout)
	defer cancel()
	name := fmt.Sprintf("Deployment %s/%s", b.plan.agentNamespace, b.plan.deployment)
	var d appsv1.Deployment
	err := b.c.Get(ctx, client.ObjectKey{Namespace: b.plan.agentNamespace, Name: b.plan.deployment}, &d)
	switch {
	case apierrors.IsNotFound(err):
		return name + " does not exist"
	case err != nil:
		return fmt.Sprintf("%s: cannot read it: %v", name, err)
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := fmt.Sprintf("%s has %d of %d replicas available", name, d.Status.AvailableReplicas, want)
	if len(d.Status.Conditions) == 0 {
		return s + ", and no conditions: no controller has acted on it yet (is kube-controller-manager running?)"
	}
	var conds []string
	for _, c := range d.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return s + "; " + strings.Join(conds, "; ")
}
