package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
)

// TestKeysFetch runs seal keys fetch against a real kube-apiserver: one
// control plane for all the cases, a namespace each.
func TestKeysFetch(t *testing.T) {
	c, err := cluster.Start(cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	ctx := context.Background()

	agentKey := newAuditKey(t, keys.Hybrid, "AGENT")
	team := newAuditKey(t, keys.X25519, "TEAM")
	// publish creates a namespace holding the agent's ConfigMap.
	publish := func(t *testing.T, data map[string]string) string {
		ns, err := c.Namespace(ctx, "fetch")
		if err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: keyring.PublicKeyConfigMap, Namespace: ns}, Data: data}
		if err := c.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
		return ns
	}
	published := map[string]string{keyring.RecipientKey: agentKey.recipient() + "\n", keyring.RecipientsKey: agentKey.recipient() + "\n"}

	t.Run("prints the recipient, with --kubeconfig or $KUBECONFIG", func(t *testing.T) {
		ns := publish(t, published)
		want := cliRun{Stdout: agentKey.recipient() + "\n"}
		r := runSeal(t, t.TempDir(), nil, "", "keys", "fetch", "--kubeconfig", c.Kubeconfig, "-n", ns)
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("--kubeconfig (-want +got):\n%s", diff)
		}
		r = runSeal(t, t.TempDir(), map[string]string{"KUBECONFIG": c.Kubeconfig}, "", "keys", "fetch", "--namespace", ns)
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("$KUBECONFIG (-want +got):\n%s", diff)
		}
		home := t.TempDir()
		auditWrite(t, filepath.Join(home, ".kube/config"), auditRead(t, c.Kubeconfig))
		r = runSeal(t, t.TempDir(), map[string]string{"HOME": home}, "", "keys", "fetch", "--namespace", ns)
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("~/.kube/config (-want +got):\n%s", diff)
		}
	})

	t.Run("--update-config adds the rule, keeping other recipients", func(t *testing.T) {
		ns := publish(t, published)
		dir := t.TempDir()
		config := filepath.Join(dir, ".sops.yaml")
		auditWrite(t, config, "# our rules\n"+auditSopsConfig(auditRule{`^clusters/prod/`, []*auditKey{team}}))
		sub := filepath.Join(dir, "clusters")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, regex := range []string{`^clusters/prod/`, `^clusters/staging/`} {
			r := runSeal(t, sub, nil, "", "keys", "fetch", "--kubeconfig", c.Kubeconfig, "-n", ns, "--update-config", regex)
			if r.Code != ExitOK || r.Stdout != agentKey.recipient()+"\n" || !strings.Contains(r.Stderr, "run `seal keys rotate`") {
				t.Errorf("%s: got %+v", regex, r)
			}
		}
		cfg, err := keys.LoadConfig(config)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			file string
			want []string
		}{
			{"clusters/prod/db.yaml", []string{team.recipient(), agentKey.recipient()}},
			{"clusters/staging/db.yaml", []string{agentKey.recipient()}},
		} {
			rule, err := cfg.RuleFor(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			if diff := cmp.Diff(tt.want, rule.Recipients); diff != "" {
				t.Errorf("%s: rule recipients (-want +got):\n%s", tt.file, diff)
			}
		}
		if !strings.HasPrefix(auditRead(t, config), "# our rules\n") {
			t.Errorf("the comment of .sops.yaml was lost")
		}

		// --replace leaves the agent's key alone in the rule.
		r := runSeal(t, dir, nil, "", "keys", "fetch", "--kubeconfig", c.Kubeconfig, "-n", ns, "--update-config", `^clusters/prod/`, "--replace")
		if r.Code != ExitOK {
			t.Fatalf("--replace: %+v", r)
		}
		cfg, err = keys.LoadConfig(config)
		if err != nil {
			t.Fatal(err)
		}
		rule, err := cfg.RuleFor(filepath.Join(dir, "clusters/prod/db.yaml"))
		if err != nil || !cmp.Equal([]string{agentKey.recipient()}, rule.Recipients) {
			t.Errorf("--replace: rule %+v, %v", rule, err)
		}
	})

	t.Run("--update-config creates .sops.yaml in the working directory", func(t *testing.T) {
		ns := publish(t, published)
		dir := t.TempDir()
		r := runSeal(t, dir, nil, "", "keys", "fetch", "--kubeconfig", c.Kubeconfig, "-n", ns, "--update-config", `.*\.yaml$`)
		if r.Code != ExitOK {
			t.Fatalf("got %+v", r)
		}
		cfg, err := keys.LoadConfig(filepath.Join(dir, keys.ConfigName))
		if err != nil {
			t.Fatal(err)
		}
		rule, err := cfg.RuleFor(filepath.Join(dir, "secret.yaml"))
		if err != nil || !cmp.Equal([]string{agentKey.recipient()}, rule.Recipients) || rule.EncryptedRegex != keys.DefaultEncryptedRegex {
			t.Errorf("rule %+v, %v", rule, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		empty, err := c.Namespace(ctx, "fetch-empty")
		if err != nil {
			t.Fatal(err)
		}
		noKey := publish(t, map[string]string{"other": "x"})
		badKey := publish(t, map[string]string{keyring.RecipientKey: "age1notarecipient"})
		unreachable := filepath.Join(t.TempDir(), "kubeconfig")
		auditWrite(t, unreachable, strings.Join([]string{
			"apiVersion: v1", "kind: Config", "current-context: dead",
			"clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1'}}]",
			"contexts: [{name: dead, context: {cluster: dead, user: u}}]",
			"users: [{name: u, user: {token: t}}]", ""}, "\n"))
		for _, tt := range []struct {
			name string
			args []string
			env  map[string]string
			code int
			want []string
		}{
			{"ConfigMap missing", []string{"--kubeconfig", c.Kubeconfig, "-n", empty}, nil, ExitFailure, []string{
				"seal: error: ConfigMap " + empty + "/seal-agent-public-key not found in the cluster at https://127.0.0.1:",
				"is seal-agent installed? it publishes its key on first start\n",
				"seal: hint: install seal-agent, or pass --namespace where it runs\n"}},
			{"no recipient key", []string{"--kubeconfig", c.Kubeconfig, "-n", noKey}, nil, ExitFailure, []string{
				"seal: error: ConfigMap " + noKey + "/seal-agent-public-key has no \"recipient\" key\n"}},
			{"invalid recipient", []string{"--kubeconfig", c.Kubeconfig, "-n", badKey}, nil, ExitFailure, []string{
				"seal: error: ConfigMap " + badKey + "/seal-agent-public-key: recipient: invalid recipient"}},
			{"cluster unreachable", []string{"--kubeconfig", unreachable}, nil, ExitFailure, []string{
				"seal: error: cannot reach the cluster at https://127.0.0.1:1 (context dead): ",
				"seal: hint: check that the cluster is up and that --context and --kubeconfig point at it\n"}},
			{"unknown context", []string{"--kubeconfig", c.Kubeconfig, "--context", "nope"}, nil, ExitFailure, []string{
				"seal: error: loading the Kubernetes configuration from " + c.Kubeconfig + ": ",
				"\"nope\""}},
			{"no kubeconfig at all", nil, map[string]string{"HOME": t.TempDir()}, ExitFailure, []string{
				"seal: error: no Kubernetes configuration found (looked at ",
				"seal: hint: pass --kubeconfig FILE, or set KUBECONFIG\n"}},
			{"--replace alone", []string{"--replace"}, nil, ExitUsage, []string{
				"seal: error: --replace only applies with --update-config PATH_REGEX\n"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := runSeal(t, t.TempDir(), tt.env, "", append([]string{"keys", "fetch"}, tt.args...)...)
				if r.Code != tt.code || r.Stdout != "" {
					t.Errorf("exit %d (want %d), stdout %q", r.Code, tt.code, r.Stdout)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.Stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
					}
				}
			})
		}
	})
}
