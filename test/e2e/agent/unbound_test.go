package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
	"github.com/seal-gitops/seal/test/testbin"
)

// TestSopsEncryptedSecretIsAppliedWithAWarning: a Secret the real sops CLI
// encrypted for the agent carries no sealed identity. It is applied (its
// MAC holds), and a Warning event names its file so that someone seals it.
func TestSopsEncryptedSecretIsAppliedWithAWarning(t *testing.T) {
	sops, err := testbin.Path("sops")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	const password = "sops-made-pw-51c2"
	e.secrets = append(e.secrets, password)
	plain := filepath.Join(e.dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte(secretManifest("from-sops", password)), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := harness.Run(e.ctx, harness.Command{Path: sops, Dir: e.dir,
		Args: []string{"encrypt", "--age", e.recipient, "--encrypted-regex", "^(data|stringData)$", plain}})
	os.Remove(plain)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("sops encrypt: %v (exit %d): %s", err, res.ExitCode, res.Stderr)
	}
	sha := e.commit("sops-made", map[string][]byte{
		"apps/config.yaml":    configMap("web-config", "hello"),
		"apps/from-sops.yaml": []byte(res.Stdout),
	})
	e.createGitSync("apps", time.Hour, nil)
	e.waitApplied("apps", sha)
	if got := e.secretData("from-sops")["password"]; got != password {
		t.Errorf("Secret from-sops was not applied with its value")
	}
	// Events are sent asynchronously: wait for it.
	var notes []string
	e.eventually(10*time.Second, "the UnboundSecrets event", func() (bool, error) {
		var events eventsv1.EventList
		if err := kube.Client.List(e.ctx, &events, client.InNamespace(e.ns)); err != nil {
			return false, err
		}
		notes = nil
		for _, ev := range events.Items {
			if ev.Reason == v1alpha1.ReasonUnboundSecrets {
				notes = append(notes, ev.Note)
			}
		}
		return len(notes) > 0, nil
	})
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "apps/from-sops.yaml: ") {
		t.Errorf("UnboundSecrets events %q, want one naming apps/from-sops.yaml", notes)
	}
}
