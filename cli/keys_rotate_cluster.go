package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/seal-gitops/seal/agent/keyring"
)

// rotateClusterPoll is how often rotate --cluster looks for the new key.
const rotateClusterPoll = 500 * time.Millisecond

// runRotateCluster asks the agent for a new identity: it annotates the key
// Secret (the agent generates the identity itself, so the private key never
// leaves the cluster) and waits until the public-key ConfigMap shows a new
// active recipient.
func runRotateCluster(ctx context.Context, f *Factory, opts *keysRotateOptions) error {
	if len(opts.Paths) > 0 || opts.NewDataKey || opts.DryRun || len(opts.Identities) > 0 {
		return usagef("--cluster asks the agent for a new key and takes no PATH, -i, --new-data-key or --dry-run; " +
			"re-wrap the files afterwards with seal keys rotate")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	cfg, where, err := opts.restConfig(f, wd)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("cluster at %s: %w", where, err)
	}
	ns := opts.Namespace
	cm, err := getConfigMap(ctx, cfg, where, ns, keyring.PublicKeyConfigMap)
	if err != nil {
		return err
	}
	before := cm.Data[keyring.RecipientKey]
	req := f.Now().UTC().Format(time.RFC3339Nano)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{keyring.RotateRequestAnnotation: req}}})
	secretName := keyring.DefaultSecretName
	if _, err := cs.CoreV1().Secrets(ns).Patch(ctx, secretName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return withHint(fmt.Errorf("key Secret %s/%s not found in the cluster at %s", ns, secretName, where),
				"is seal-agent installed there? pass --namespace where it runs")
		}
		return kubeError(err, where, "asking for a new key on Secret "+ns+"/"+secretName)
	}
	fmt.Fprintf(f.IO.Err, "asked seal-agent in %s for a new key; waiting for it to publish it in ConfigMap %s/%s\n", where, ns, keyring.PublicKeyConfigMap)
	deadline := time.Now().Add(opts.Timeout)
	for {
		cm, err = getConfigMap(ctx, cfg, where, ns, keyring.PublicKeyConfigMap)
		if err != nil {
			return err
		}
		if now := cm.Data[keyring.RecipientKey]; now != "" && now != before {
			return printClusterKeys(f, cm.Data)
		}
		if time.Now().After(deadline) {
			return withHint(fmt.Errorf("seal-agent did not publish a new key within %s (the request stays on Secret %s/%s: the agent acts on it when it runs)",
				opts.Timeout, ns, secretName), "check the agent runs and has `update` on its key Secret (kubectl -n %s logs deploy/seal-agent)", ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rotateClusterPoll):
		}
	}
}

// printClusterKeys prints the published keys and what to do next.
func printClusterKeys(f *Factory, data map[string]string) error {
	var list []keyring.PublishedKey
	if err := json.Unmarshal([]byte(data[keyring.KeysKey]), &list); err != nil {
		return fmt.Errorf("ConfigMap %s: %s: %w", keyring.PublicKeyConfigMap, keyring.KeysKey, err)
	}
	w := &stickyWriter{w: f.IO.Out}
	for _, k := range list {
		fmt.Fprintf(w, "%-9s %s  created %s\n", k.State, k.Fingerprint, k.Created)
	}
	var retiring []string
	for _, k := range list {
		if k.State == keyring.StateRetiring {
			retiring = append(retiring, k.Fingerprint)
		}
	}
	fmt.Fprintln(w, "the agent decrypts with every key above; next: seal keys fetch --update-config PATH_REGEX --replace, "+
		"then seal keys rotate --new-data-key")
	if len(retiring) > 0 {
		fmt.Fprintf(w, "once seal keys usage shows %s unused: seal keys retire KEY\n", strings.Join(retiring, ", "))
	}
	return w.err
}
