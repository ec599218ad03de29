package agent_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// startReplica starts another seal-agent for the env's namespace, with its
// own data directory under the env's, and stops it when the test ends
// (before the env's GitSyncs are deleted). A replica the test killed is
// left alone.
func (e *env) startReplica(dataDir string, extra ...string) *harness.Process {
	e.t.Helper()
	args := append([]string{
		"--kubeconfig", kube.Kubeconfig,
		"--namespace", e.ns,
		"--agent-namespace", e.ns,
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
		"--webhook-bind-address", "0",
		"--data-dir", filepath.Join(e.dir, dataDir),
		"--log-format", "json",
	}, extra...)
	p, err := harness.Start(harness.Command{Path: bin.Agent, Args: args, Dir: e.dir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if p == e.agent { // the env stops it
			return
		}
		if p.Exited() {
			return
		}
		if err, killed := p.Stop(20 * time.Second); killed || err != nil {
			e.t.Errorf("seal-agent replica %s: stopped with %v (killed: %v); output:\n%s", dataDir, err, killed, tail(p.Output()))
		}
	})
	return p
}

// touched returns the names of the GitSyncs a seal-agent's JSON log shows
// it starting or finishing a sync of (needs --log-level debug for syncs
// that change nothing), with the number of such lines each.
func touched(output string) map[string]int {
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			GitSync struct {
				Name string `json:"name"`
			} `json:"GitSync"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.GitSync.Name == "" {
			continue
		}
		if line.Msg == "sync started" || line.Msg == "synced" {
			out[line.GitSync.Name]++
		}
	}
	return out
}

// leaseHolder is the holder of the Lease name in the env's namespace, ""
// while there is none.
func (e *env) leaseHolder(name string) string {
	e.t.Helper()
	var lease coordinationv1.Lease
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &lease); err != nil {
		if client.IgnoreNotFound(err) != nil {
			e.t.Fatal(err)
		}
		return ""
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// ownedConfigMaps maps the names of the ConfigMaps in the env's namespace
// that carry GitSync name's owner labels to their greeting.
func (e *env) ownedConfigMaps(name string) map[string]string {
	e.t.Helper()
	var list corev1.ConfigMapList
	if err := e.kube.Client.List(e.ctx, &list, client.InNamespace(e.ns),
		client.MatchingLabels{v1alpha1.LabelGitSyncName: name, v1alpha1.LabelGitSyncNamespace: e.ns}); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, cm := range list.Items {
		out[cm.Name] = cm.Data["greeting"]
	}
	return out
}

// checkNoPlaintextOnDisk searches every file under dir for the test's
// plaintext values, byte for byte.
func (e *env) checkNoPlaintextOnDisk(dir string) {
	e.t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range e.secrets {
			if strings.Contains(string(data), s) {
				e.t.Errorf("plaintext value %q found in %s", s, path)
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("searching %s: %v", dir, err)
	}
	if files == 0 {
		e.t.Errorf("no file under %s: the agent kept no git cache there", dir)
	}
}

// checkNoLeaksIn searches a process's output for the test's plaintexts
// (checkNoLeaks covers only e.agent).
func (e *env) checkNoLeaksIn(what, output string) {
	e.t.Helper()
	for _, s := range e.secrets {
		if strings.Contains(output, s) {
			e.t.Errorf("secret value %q leaked into the output of %s", s, what)
		}
	}
}

// bigRepo is n ConfigMaps cm-000... with greeting value, under dir.
func bigRepo(dir string, n int, value string) map[string][]byte {
	files := make(map[string][]byte, n)
	for i := range n {
		name := fmt.Sprintf("cm-%03d", i)
		files[dir+"/"+name+".yaml"] = configMap(name, value)
	}
	return files
}
