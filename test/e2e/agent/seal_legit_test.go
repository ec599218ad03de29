package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestSealKustomizationsThatKeepValuesInPlace: kustomizations that leave
// a sealed value in the Secret it was sealed for are applied, whatever
// else they change about that Secret.
func TestSealKustomizationsThatKeepValuesInPlace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra string
		// labels and annotations the Secret must carry.
		labels, annotations map[string]string
	}{
		{name: "namespace equal to the sealed namespace", extra: "namespace: {ns}\n"},
		{name: "commonLabels and commonAnnotations",
			extra:  "commonLabels:\n  team: payments\ncommonAnnotations:\n  owner: alice\n",
			labels: map[string]string{"team": "payments"}, annotations: map[string]string{"owner": "alice"}},
		{name: "labels transformer and a patch adding an annotation",
			extra:       "labels:\n- pairs: {tier: backend}\npatches:\n- target: {kind: Secret, name: db}\n  patch: |-\n    - op: add\n      path: /metadata/annotations/rotated\n      value: \"2026-12\"\n",
			labels:      map[string]string{"tier": "backend"},
			annotations: map[string]string{"rotated": "2026-12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSealEnv(t)
			s.start(nil)
			sha := s.commit("legit", map[string][]byte{"apps/kustomization.yaml": s.kustomization(tt.extra, baseResources...)})
			s.waitApplied("apps", sha)
			var got corev1.Secret
			if err := kube.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: "db"}, &got); err != nil {
				t.Fatal(err)
			}
			if string(got.Data["password"]) != sealedPW {
				t.Error("Secret db does not hold its sealed value")
			}
			for k, v := range tt.labels {
				if got.Labels[k] != v {
					t.Errorf("Secret db label %s = %q, want %q", k, got.Labels[k], v)
				}
			}
			for k, v := range tt.annotations {
				if got.Annotations[k] != v {
					t.Errorf("Secret db annotation %s = %q, want %q", k, got.Annotations[k], v)
				}
			}
			if !s.configMapExists("web-config") || s.configMapExists("keep-config") {
				t.Error("the revision was not applied and pruned as a whole")
			}
		})
	}
}

// TestSealGeneratorWithBoundEnvRollsTheDeployment: a secretGenerator fed
// by a dotenv file bound with seal encrypt --bind-secret makes a Secret
// with a hash suffix in the GitSync's targetNamespace (the namespace it
// was bound for); the Deployment that names the generator gets the hashed
// name. A new value gives a new name, the Deployment follows, and the old
// Secret is pruned.
func TestSealGeneratorWithBoundEnvRollsTheDeployment(t *testing.T) {
	t.Parallel()
	s := newSealEnv(t)
	const v1, v2 = "gen-value-one-8a1f", "gen-value-two-3c7e"
	kust := s.kustomization("secretGenerator:\n- name: app\n  envs: [app.env]\n", "web.yaml")
	web := strings.Replace(deployment, "        image: nginx:1.27\n",
		"        image: nginx:1.27\n        envFrom:\n        - secretRef: {name: app}\n", 1)
	first := s.commit("generator", map[string][]byte{
		"apps/kustomization.yaml": kust,
		"apps/web.yaml":           []byte(web),
		"apps/app.env":            s.sealInput("app.env", []byte("TOKEN="+v1+"\n"), s.ns+"/app", v1),
	})
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.Path = "apps"
		gs.Spec.TargetNamespace = s.ns
	})
	s.waitApplied("apps", first)
	name1 := s.deploymentSecretRef("web")
	if !strings.HasPrefix(name1, "app-") || len(name1) != len("app-")+10 {
		t.Fatalf("the Deployment names Secret %q, want the generator's hashed name app-XXXXXXXXXX", name1)
	}
	if diff := cmp.Diff(map[string]string{"TOKEN": v1}, s.secretData(name1)); diff != "" {
		t.Errorf("Secret %s (-want +got):\n%s", name1, diff)
	}

	second := s.commit("new value", map[string][]byte{
		"apps/app.env": s.sealInput("app.env", []byte("TOKEN="+v2+"\n"), s.ns+"/app", v2),
	})
	s.waitApplied("apps", second)
	name2 := s.deploymentSecretRef("web")
	if name2 == name1 || !strings.HasPrefix(name2, "app-") {
		t.Fatalf("after a value change the Deployment names Secret %q (before %q), want a new hashed name", name2, name1)
	}
	if diff := cmp.Diff(map[string]string{"TOKEN": v2}, s.secretData(name2)); diff != "" {
		t.Errorf("Secret %s (-want +got):\n%s", name2, diff)
	}
	var old corev1.Secret
	if err := kube.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name1}, &old); !apierrors.IsNotFound(err) {
		t.Errorf("the old generated Secret %s: %v, want it pruned", name1, err)
	}
}

// deploymentSecretRef is the Secret named by the first envFrom of
// Deployment name's first container.
func (e *env) deploymentSecretRef(name string) string {
	e.t.Helper()
	var d appsv1.Deployment
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &d); err != nil {
		e.t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers
	if len(c) == 0 || len(c[0].EnvFrom) == 0 || c[0].EnvFrom[0].SecretRef == nil {
		e.t.Fatalf("Deployment %s has no envFrom secretRef", name)
	}
	return c[0].EnvFrom[0].SecretRef.Name
}
