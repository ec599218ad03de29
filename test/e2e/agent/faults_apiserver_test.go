package agent_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFaultAPIServerUnreachableMidApply runs the agent (through a slow
// client) against a TCP proxy in front of the apiserver and, in the middle
// of applying a change, cuts every connection and drops new ones for ten
// seconds, as the agent sees an apiserver restart behind a load balancer
// (TestFaultRestartedMidApply restarts the apiserver itself). No object
// still in Git is pruned during the outage, and once the apiserver is
// reachable again the agent finishes the sync: the cluster and the
// inventory hold exactly the new revision.
func TestFaultAPIServerUnreachableMidApply(t *testing.T) {
	t.Parallel()
	host, err := url.Parse(kube.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, host.Host)
	original, err := os.ReadFile(kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := strings.ReplaceAll(string(original), host.Host, proxy.ln.Addr().String())
	if viaProxy == string(original) {
		t.Fatalf("the kubeconfig does not name the apiserver %s", host.Host)
	}
	kubeconfig := filepath.Join(t.TempDir(), "proxy.kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(viaProxy), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, append([]string{"--kubeconfig", kubeconfig}, slowClient...)...)
	b := startBigChange(e)

	proxy.off()
	down := time.Now()
	for time.Since(down) < 10*time.Second {
		got := e.ownedConfigMaps("apps")
		for i := 15; i < bigObjects; i++ { // in both revisions
			if name := fmt.Sprintf("cm-%03d", i); got[name] == "" {
				t.Fatalf("during the outage ConfigMap %s, still in Git, is gone", name)
			}
		}
		time.Sleep(time.Second)
	}
	if got := e.get("apps").Status.LastAppliedRevision; got == b.second {
		t.Fatal("the second revision was applied in full before the outage; the test needs a slower sync")
	}
	proxy.on.Store(true)
	b.check()
	t.Logf("the sync finished %s after the apiserver was reachable again", time.Since(down.Add(10*time.Second)).Round(100*time.Millisecond))
	e.checkNoPlaintextOnDisk(e.dir + "/data")
}
