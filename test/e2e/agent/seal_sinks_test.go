package agent_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestSealAliasBombInInlinePatch: a YAML alias bomb in an inline patch of
// kustomization.yaml fails that GitSync's render; the agent keeps running
// and another GitSync over another path of the same repository applies
// the same revision and the next one.
func TestSealAliasBombInInlinePatch(t *testing.T) {
	t.Parallel()
	bombs := []struct{ name, patch string }{
		{"recursive alias", "    a: &a\n      b: *a\n"},
		{"exponential aliases", "    a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
			"    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
			"    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
			"    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
			"    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n" +
			"    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
			"    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n" +
			"    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n" +
			"    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n"},
	}
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := newSealEnv(t)
			s.start(nil)
			before := s.get("apps").Status.AppliedObjects
			second := s.commit("second app", map[string][]byte{"other/cm.yaml": configMap("other-config", "one")})
			s.createGitSync("other", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "other" })
			s.waitApplied("other", second)
			s.waitApplied("apps", second)
			s.good = second
			objects := s.snapshot()

			bomb := s.commit("alias bomb", map[string][]byte{
				"apps/kustomization.yaml": s.kustomization("patches:\n- target: {kind: ConfigMap, name: web-config}\n  patch: |-\n"+
					"    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: web-config\n"+b.patch, baseResources...),
				"apps/config.yaml": configMap("web-config", "changed"),
				"apps/keep.yaml":   nil,
			})
			// The other GitSync applies the bomb's revision: its path
			// holds nothing bad.
			s.waitApplied("other", bomb)
			msg := s.waitFailed("apps", v1alpha1.ReasonRenderFailed)
			t.Logf("Ready message: %s", msg)
			if !strings.Contains(msg, "apps/kustomization.yaml") {
				t.Errorf("Ready message does not name apps/kustomization.yaml:\n%s", msg)
			}
			if s.agent.Exited() {
				t.Fatalf("seal-agent exited after the alias bomb:\n%s", tail(s.agent.Output()))
			}
			objects["ConfigMap "+s.ns+"/other-config"] = s.snapshot()["ConfigMap "+s.ns+"/other-config"]
			s.checkUnchanged(objects, before)

			// And keeps syncing: a new commit for the other GitSync.
			after := s.commit("other changes", map[string][]byte{"other/cm.yaml": configMap("other-config", "two")})
			s.waitApplied("other", after)
			if got := s.configMapValue("other-config"); got != "two" {
				t.Errorf("other-config says %q, want two", got)
			}
			if s.agent.Exited() {
				t.Fatalf("seal-agent exited:\n%s", tail(s.agent.Output()))
			}
			if rss, err := s.agent.PeakRSS(); err == nil {
				t.Logf("seal-agent peak RSS after the bomb: %d MiB", rss>>20)
			}

			fixed := s.commit("fix", map[string][]byte{"apps/kustomization.yaml": s.kustomization("", baseResources...)})
			s.waitApplied("apps", fixed)
			if got := s.configMapValue("web-config"); got != "changed" || s.configMapExists("keep-config") {
				t.Errorf("after the fix web-config says %q and keep-config exists: %v", got, s.configMapExists("keep-config"))
			}
		})
	}
}

// TestSealValueInAnAPIServerRejection: a sealed Secret the apiserver
// refuses (a .dockerconfigjson that is not JSON, the sealed value inside)
// fails with ApplyFailed; the value is in none of the log, events, status
// or commit status.
func TestSealValueInAnAPIServerRejection(t *testing.T) {
	t.Parallel()
	const dockerPlain = `docker-auth-"7b0e\d1`
	sealAttack{
		name:      "dockerconfigjson that is not JSON",
		reason:    v1alpha1.ReasonApplyFailed,
		mention:   []string{"apps/kustomization.yaml", "Secret/{ns}/regcred", "data[.dockerconfigjson]"},
		agentArgs: []string{"--allowed-networks", "127.0.0.0/8"}, // the commit status server is on loopback
		gitsync: func(s *sealEnv, gs *v1alpha1.GitSync) {
			s.statuses = &statusAPI{}
			srv := httptest.NewServer(s.statuses)
			s.t.Cleanup(srv.Close)
			token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "github-token", Namespace: s.ns},
				StringData: map[string]string{"token": "ghp-test-token"}}
			if err := kube.Client.Create(s.ctx, token); err != nil {
				s.t.Fatal(err)
			}
			gs.Spec.CommitStatus = &v1alpha1.CommitStatus{Provider: "github", APIURL: srv.URL, SecretRef: v1alpha1.LocalObjectReference{Name: token.Name}}
		},
		files: func(s *sealEnv) (string, []string, map[string][]byte) {
			manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nstringData:\n" +
				"  .dockerconfigjson: '{\"auths\": {\"r.example\": " + dockerPlain + "'\n"
			return "", []string{"regcred.yaml"}, map[string][]byte{"apps/regcred.yaml": s.seal(manifest, dockerPlain)}
		},
		check: func(s *sealEnv) {
			// The failure reaches the commit status too, so the leak
			// check at cleanup searches a description that was sent.
			s.eventually(15*time.Second, "a failure commit status", func() (bool, error) {
				s.statuses.mu.Lock()
				defer s.statuses.mu.Unlock()
				for _, st := range s.statuses.received {
					if st["state"] == "failure" && strings.Contains(st["description"], v1alpha1.ReasonApplyFailed) {
						return true, nil
					}
				}
				return false, nil
			})
		},
	}.run(t)
}
