package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/gitserver"
)

// Where things go in the cluster, as a real install lays them out.
const (
	agentNamespace = "seal-system" // seal-agent's key, its public key, the GitSync
	appNamespace   = "demo"        // the app synced from Git
	syncName       = "environment" // the GitSync, the repository and its credentials
	appPath        = "apps"        // the directory of the repository that is synced
	syncInterval   = 10 * time.Second
)

// demo is one run: what it started, what it knows, and how to undo it.
type demo struct {
	opts options
	say  *narrator

	bins       harness.Binaries
	tmp        string // scratch directory, removed at the end
	kubeconfig string // <tmp>/kubeconfig
	kube       *cluster.Cluster
	git        *gitserver.Server
	repo       *gitserver.Repo
	agent      *harness.Process

	recipient string // the agent's public key
	password  string // the demo's throwaway database password
	apiKey    string // the Helm release's throwaway API key
	revision  string // the commit last synced

	cleanups []cleanup // undone in reverse order
}

// step is one numbered part of the story.
type step struct {
	title string
	run   func(ctx context.Context) error
}

func newDemo(opts options, say *narrator) *demo {
	return &demo{opts: opts, say: say}
}

func (d *demo) steps() []step {
	return []step{
		{"Check the built binaries and make a scratch directory", d.checkBinaries},
		{"Start a local Kubernetes control plane: kube-apiserver and etcd", d.startCluster},
		{"Start a local git server with an empty environment repository", d.startGitServer},
		{"Start seal-agent as a local process", d.startAgent},
		{"Fetch the agent's public key into .sops.yaml, as a developer would", d.fetchKey},
		{"Write an app: a Deployment, a Service, a ConfigMap and a Secret", d.writeApp},
		{"Seal the Secret with the built seal CLI", d.sealSecret},
		{"Commit and push", d.commitApp},
		{"Point seal-agent at the repository with a GitSync", d.createGitSync},
		{"Check the Secret in the cluster: decrypted from what Git holds", d.checkSecret},
		{"seal status", d.showStatus},
		{"Drift: change the ConfigMap in the cluster by hand", d.correctDrift},
		{"Roll out a new commit: 3 replicas and a new greeting", d.rollOut},
		{"Remove a file from Git: the Service is pruned", d.prune},
		{"Add a Helm release whose values file is sealed for it", d.addHelmRelease},
		{"seal status", d.showStatus},
	}
}

// run tells the story and returns the exit code.
func (d *demo) run(ctx context.Context) int {
	start := time.Now()
	d.intro()
	steps := d.steps()
	done, failed, interrupted := 0, error(nil), false
	for i, s := range steps {
		d.say.step(i+1, s.title)
		if err := s.run(ctx); err != nil {
			failed = err
			interrupted = wasInterrupted(ctx)
			if interrupted {
				fmt.Fprintf(d.say.out, "\nInterrupted during step %d (%s): stopping everything the demo started (Ctrl-C again quits at once).\n", i+1, s.title)
			} else {
				d.say.failed(i+1, s.title, err)
				d.showAgentLog()
			}
			break
		}
		done++
	}
	d.say.step(done+1+boolInt(failed != nil), "Clean up")
	cleanErr := d.cleanUp()

	switch {
	case interrupted:
		fmt.Fprintf(d.say.err, "\nSeal demo interrupted at step %d (%s); everything it started is stopped.\n", done+1, steps[done].title)
		return 130
	case failed != nil:
		fmt.Fprintf(d.say.err, "\nSeal demo FAILED at step %d (%s): %v\n", done+1, steps[done].title, oneLine(failed))
		return 1
	case cleanErr != nil:
		fmt.Fprintf(d.say.err, "\nSeal demo FAILED while cleaning up: %v\n", oneLine(cleanErr))
		return 1
	}
	d.say.line("")
	d.say.line(fmt.Sprintf("Seal demo complete in %s: Git held only ciphertext, the cluster got the decrypted Secret, "+
		"drift was put back, a new commit rolled out, a removed file was pruned and a chart got its sealed value.", seconds(time.Since(start))))
	return 0
}

func (d *demo) intro() {
	d.say.line("Seal demo: a Secret goes from a developer's editor, encrypted, through Git into a cluster,")
	d.say.line("with the seal and seal-agent just built, a real kube-apiserver and etcd, and a git server, all on this machine.")
	d.say.line("The control plane comes from the test cache: the first run on a machine builds kube-apiserver and etcd")
	d.say.line("from source (about 7 minutes, once); after that the whole demo takes under half a minute.")
}

// showAgentLog prints the end of seal-agent's log after a failure.
func (d *demo) showAgentLog() {
	if d.agent == nil {
		return
	}
	out := d.agent.Output()
	if out == "" {
		d.say.say("seal-agent printed nothing")
		return
	}
	d.say.say("the last lines of seal-agent's log:")
	for _, l := range tail(out, 20) {
		d.say.line(blockIndent + clip(l, 200))
	}
}

// wasInterrupted reports whether a step failed because of Ctrl-C. A
// Ctrl-C in a terminal reaches the programs the step ran too, and one of
// them may die of it a moment before the demo's own handler cancels ctx.
func wasInterrupted(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-time.After(300 * time.Millisecond):
		return false
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// oneLine is err's message on one line, for the closing summary.
func oneLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return clip(msg, 300)
}
