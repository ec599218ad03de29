package agent_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

const sopsPW = `sops-made"pw\51c2`

// sopsSecret is a Secret manifest for the test namespace encrypted by the
// real sops CLI for the agent: its values carry no sealed identity.
func (s *sealEnv) sopsSecret(name, value string) []byte {
	s.t.Helper()
	s.secrets = append(s.secrets, value)
	manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  namespace: " + s.ns + "\ntype: Opaque\nstringData:\n  password: '" + value + "'\n"
	return s.sops(name+".yaml", []byte(manifest), "--encrypted-regex", "^(data|stringData)$")
}

func allowUnbound(_ *sealEnv, gs *v1alpha1.GitSync) {
	gs.Spec.Decryption = &v1alpha1.Decryption{AllowUnbound: true}
}

// TestUnboundSopsSecretIsRefusedByDefault: a Secret the sops CLI encrypted
// proves nothing about where its value belongs; without
// spec.decryption.allowUnbound the revision is refused, and the message
// names the file and says how to seal it or opt in.
func TestUnboundSopsSecretIsRefusedByDefault(t *testing.T) {
	t.Parallel()
	sealAttack{
		name:    "sops-made Secret",
		mention: []string{"apps/from-sops.yaml", "no sealed identity", "seal edit", "spec.decryption.allowUnbound"},
		files: func(s *sealEnv) (string, []string, map[string][]byte) {
			return "", []string{"from-sops.yaml"}, map[string][]byte{"apps/from-sops.yaml": s.sopsSecret("from-sops", sopsPW)}
		},
	}.run(t)
}

// TestUnboundNamespaceLessBindingIsRefusedByDefault: a Secret sealed for
// no namespace (Secret//name, as seal wrote before it required one) could
// land in any namespace; it is refused without allowUnbound.
func TestUnboundNamespaceLessBindingIsRefusedByDefault(t *testing.T) {
	t.Parallel()
	const pw = "nsless-pw-e41f09"
	sealAttack{
		name:    "namespace-less binding",
		mention: []string{"apps/legacy.yaml", "without a namespace", "seal encrypt --namespace"},
		files: func(s *sealEnv) (string, []string, map[string][]byte) {
			return "", []string{"legacy.yaml"}, map[string][]byte{"apps/legacy.yaml": s.namespaceLessSecret("legacy", pw)}
		},
	}.run(t)
}

// TestUnboundFilesAreAppliedWithAllowUnbound: with allowUnbound a
// sops-made Secret and a namespace-less one are applied, listed in
// status.unboundFiles and a Warning event; sealing them empties the list.
func TestUnboundFilesAreAppliedWithAllowUnbound(t *testing.T) {
	t.Parallel()
	const legacyPW = "legacy-pw-0b93d2"
	s := newSealEnv(t)
	s.start(func(gs *v1alpha1.GitSync) { allowUnbound(s, gs) })
	sha := s.commit("unbound", map[string][]byte{
		"apps/kustomization.yaml": s.kustomization("", "config.yaml", "db.yaml", "from-sops.yaml", "legacy.yaml"),
		"apps/from-sops.yaml":     s.sopsSecret("from-sops", sopsPW),
		"apps/legacy.yaml":        s.namespaceLessSecret("legacy", legacyPW),
	})
	gs := s.waitApplied("apps", sha)
	if s.secretData("from-sops")["password"] != sopsPW {
		t.Error("Secret from-sops was not applied with its value")
	}
	if s.secretData("legacy")["password"] != legacyPW {
		t.Error("Secret legacy was not applied with its value")
	}
	if diff := cmp.Diff([]string{"apps/from-sops.yaml", "apps/legacy.yaml"}, gs.Status.UnboundFiles); diff != "" {
		t.Errorf("status.unboundFiles (-want +got):\n%s", diff)
	}
	var notes []string
	s.eventually(15*time.Second, "the UnboundSecrets event", func() (bool, error) {
		var events eventsv1.EventList
		if err := kube.Client.List(s.ctx, &events, client.InNamespace(s.ns)); err != nil {
			return false, err
		}
		notes = nil
		for _, ev := range events.Items {
			if ev.Reason == v1alpha1.ReasonUnboundSecrets && ev.Type == "Warning" {
				notes = append(notes, ev.Note)
			}
		}
		return len(notes) > 0, nil
	})
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, "apps/from-sops.yaml") && strings.Contains(n, "apps/legacy.yaml")
	}) {
		t.Errorf("UnboundSecrets events %q, want one naming both files", notes)
	}

	// Sealed with seal, the files are no longer listed.
	sealed := s.commit("sealed", map[string][]byte{
		"apps/from-sops.yaml": s.seal(secretManifestYAML("from-sops", "'"+sopsPW+"'"), sopsPW),
		"apps/legacy.yaml":    s.seal(secretManifestYAML("legacy", legacyPW), legacyPW),
	})
	if got := s.waitApplied("apps", sealed).Status.UnboundFiles; len(got) != 0 {
		t.Errorf("status.unboundFiles = %q after the files were sealed, want none", got)
	}
}

// TestUnboundValueStaysInSecretsWithAllowUnbound: allowUnbound accepts
// unbound values only as Secret values: copied into a ConfigMap they
// refuse the revision all the same.
func TestUnboundValueStaysInSecretsWithAllowUnbound(t *testing.T) {
	t.Parallel()
	sealAttack{
		name:    "unbound value copied into a ConfigMap",
		gitsync: allowUnbound,
		mention: []string{"apps/from-sops.yaml", "ConfigMap {ns}/web-config", "data.greeting"},
		files: func(s *sealEnv) (string, []string, map[string][]byte) {
			return replacement("Secret", "from-sops", "stringData.password", "ConfigMap", "web-config", "data.greeting"),
				[]string{"from-sops.yaml"}, map[string][]byte{"apps/from-sops.yaml": s.sopsSecret("from-sops", sopsPW)}
		},
	}.run(t)
}
