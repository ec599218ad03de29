package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// checkBinaries finds seal and seal-agent in --bin and makes the scratch
// directory everything else lives in.
func (d *demo) checkBinaries(ctx context.Context) error {
	dir, err := filepath.Abs(d.opts.bin)
	if err != nil {
		return fmt.Errorf("--bin %s: %w", d.opts.bin, err)
	}
	d.bins = harness.Binaries{Seal: filepath.Join(dir, "seal"), Agent: filepath.Join(dir, "seal-agent")}
	for _, p := range []string{d.bins.Seal, d.bins.Agent} {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %w (run `make build`, or point --bin at the directory holding seal and seal-agent)", p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s: not an executable file", p)
		}
	}
	// seal status is part of the story; an older build may lack it.
	res, err := harness.Run(ctx, harness.Command{Path: d.bins.Seal, Args: []string{"status", "--help"}})
	if err != nil {
		return fmt.Errorf("%s: %w", d.bins.Seal, err)
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s status --help: %s (rebuild with `make build`): %s", d.bins.Seal, exitText(res.ExitCode), firstLine(res.Stderr))
	}
	d.say.say("seal:       %s", d.bins.Seal)
	d.say.say("seal-agent: %s", d.bins.Agent)

	if d.tmp, err = os.MkdirTemp("", "seal-demo-"); err != nil {
		return fmt.Errorf("scratch directory: %w", err)
	}
	d.onCleanup(d.removeScratch)
	d.say.say("scratch directory: %s (removed at the end)", d.tmp)
	return nil
}

// startCluster starts kube-apiserver and etcd with the GitSync CRD
// installed, and makes the agent's and the app's namespaces.
func (d *demo) startCluster(ctx context.Context) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	start := time.Now()
	kube, err := cluster.Start(cluster.Options{
		CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")},
		Scheme:  scheme,
	})
	if err != nil {
		return err
	}
	d.kube = kube
	d.onCleanup(func() (string, error) {
		if err := kube.Stop(); err != nil {
			return "", fmt.Errorf("stopping kube-apiserver and etcd: %w", err)
		}
		return "stopped kube-apiserver and etcd", nil
	})
	took := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}

	d.say.say("kube-apiserver and etcd at %s, up in %s%s", kube.Config.Host, seconds(took), coldNote(took))
	d.say.say("no nodes and no controllers: Pods never run here, so seal-agent runs as a local process (step 4)")

	// A copy beside the work tree, so the commands below can say
	// --kubeconfig ../kubeconfig.
	b, err := os.ReadFile(kube.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the cluster's kubeconfig: %w", err)
	}
	d.kubeconfig = filepath.Join(d.tmp, "kubeconfig")
	if err := atomicfile.WriteFile(d.kubeconfig, b, 0o600); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	d.say.say("kubeconfig: %s", d.kubeconfig)
	for _, ns := range []string{agentNamespace, appNamespace} {
		obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if err := kube.Client.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating namespace %s: %w", ns, err)
		}
	}
	d.say.say("namespaces: %s (for seal-agent, as a real install has it) and %s (for the app)", agentNamespace, appNamespace)
	return nil
}

// coldNote explains a slow start: the binaries were built first.
func coldNote(took time.Duration) string {
	if took < time.Minute {
		return ""
	}
	return " (built from source first: that happens once per machine)"
}

// startGitServer starts the git server and creates the environment
// repository with a work tree, where a developer would have cloned it.
func (d *demo) startGitServer(_ context.Context) error {
	git, err := gitserver.Start(filepath.Join(d.tmp, "git-server"))
	if err != nil {
		return err
	}
	d.git = git
	d.onCleanup(func() (string, error) {
		git.Close()
		return "stopped the git server", nil
	})
	d.repo, err = git.CreateRepo(syncName, filepath.Join(d.tmp, syncName))
	if err != nil {
		return err
	}
	d.say.say("repository: %s (HTTP basic auth, user %q), branch main, empty", git.HTTPURL(d.repo.Name), git.Username)
	d.say.say("work tree:  %s (a developer's clone)", d.repo.Dir())
	return nil
}

// startAgent runs seal-agent and waits for it to publish its public key.
func (d *demo) startAgent(ctx context.Context) error {
	args := []string{
		"--kubeconfig", "kubeconfig",
		"--namespace", agentNamespace,
		"--agent-namespace", agentNamespace,
		"--data-dir", "agent-data",
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--webhook-bind-address", "0",
		"--log-format", "text",
	}
	d.say.command(d.bins.Agent, args...)
	p, err := harness.Start(harness.Command{Path: d.bins.Agent, Args: args, Dir: d.tmp})
	if err != nil {
		return fmt.Errorf("starting %s: %w", d.bins.Agent, err)
	}
	d.agent = p
	d.onCleanup(d.stopAgent)
	d.say.say("in a real cluster it runs as a Deployment in %s; here its log is saved to agent.log in the scratch directory (--keep keeps it)", agentNamespace)

	key := client.ObjectKey{Namespace: agentNamespace, Name: keyring.PublicKeyConfigMap}
	err = d.poll(ctx, time.Minute, "seal-agent to publish its public key", func() (bool, error) {
		var cm corev1.ConfigMap
		if err := d.kube.Client.Get(ctx, key, &cm); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		d.recipient = cm.Data[keyring.RecipientKey]
		return d.recipient != "", nil
	})
	if err != nil {
		return err
	}
	var secret corev1.Secret
	if err := d.kube.Client.Get(ctx, client.ObjectKey{Namespace: agentNamespace, Name: keyring.DefaultSecretName}, &secret); err != nil {
		return objectErr("Secret", agentNamespace+"/"+keyring.DefaultSecretName, "%w", err)
	}
	d.say.say("it generated its age identity into Secret %s/%s: the private key never leaves the cluster",
		agentNamespace, keyring.DefaultSecretName)
	d.say.say("and published the public key in ConfigMap %s/%s: %s",
		agentNamespace, keyring.PublicKeyConfigMap, shortKey(d.recipient))
	return nil
}
