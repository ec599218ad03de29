package cli_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// TestKeysOutputFormats drives seal keys list --cluster-usage and seal keys
// usage, as the built binary, against GitSyncs on the real API server whose
// status records the keys that opened their last applied revision (as the
// agent writes it): -o name, -o jsonpath, -o yaml and --no-headers print
// what scripts read.
func TestKeysOutputFormats(t *testing.T) {
	scheme := runtime.NewScheme()
	clientgoscheme.AddToScheme(scheme)
	v1alpha1.AddToScheme(scheme)
	kube, err := cluster.Start(cluster.Options{Scheme: scheme, CRDDirs: []string{filepath.Join(harness.RepoRoot(), "manifests", "crd")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kube.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The repository: old.yaml sealed for c, which the rule no longer
	// names (stale); db.yaml for a and b.
	e := newAuditEnv(t)
	_, a := e.key(keys.X25519)
	_, b := e.key(keys.Hybrid)
	_, c := e.key(keys.X25519)
	fa, fb, fc := keys.Fingerprint(a), keys.Fingerprint(b), keys.Fingerprint(c)
	e.rule(c)
	e.write("secrets/old.yaml", auditSecret)
	e.must(bin.Seal, nil, "encrypt", "-i", "secrets/old.yaml")
	e.rule(a, b)
	e.write("secrets/db.yaml", auditSecret)
	e.must(bin.Seal, nil, "encrypt", "-i", "secrets/db.yaml")

	// The cluster: seal-system/prod applied a revision opened with a,
	// team-b/shop one opened with c; b is used by none.
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, used := range []struct {
		ns, name, fingerprint string
	}{{"seal-system", "prod", fa}, {"team-b", "shop", fc}} {
		if err := kube.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: used.ns}}); err != nil {
			t.Fatal(err)
		}
		gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: used.ns, Name: used.name},
			Spec: v1alpha1.GitSyncSpec{URL: "https://git.example.com/fleet.git", Path: "clusters/" + used.name}}
		if err := kube.Client.Create(ctx, gs); err != nil {
			t.Fatal(err)
		}
		gs.Status.LastAppliedRevision = rev
		gs.Status.DecryptionKeys = []v1alpha1.KeyUsage{{Fingerprint: used.fingerprint, Files: 1}}
		if err := kube.Client.Status().Update(ctx, gs); err != nil {
			t.Fatal(err)
		}
	}

	seal := func(args ...string) harness.Result {
		t.Helper()
		return e.must(bin.Seal, nil, append(args, "--kubeconfig", kube.Kubeconfig)...)
	}
	sortedLines := func(s string) []string {
		l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		slices.Sort(l)
		return l
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string // lines of stdout, in any order
	}{
		{"keys list -o name", []string{"keys", "list", "--cluster-usage", "-o", "name"},
			[]string{"key.seal.dev/" + fa, "key.seal.dev/" + fb, "key.seal.dev/" + fc}},
		{"keys list -o jsonpath", []string{"keys", "list", "--cluster-usage", "-o",
			`jsonpath={range .items[*]}{.fingerprint} used={.cluster.used} stale={.stale} {.files}{"\n"}{end}`},
			[]string{
				fa + ` used=true stale= ["secrets/db.yaml"]`,
				fb + ` used=false stale= ["secrets/db.yaml"]`,
				fc + ` used=true stale=true ["secrets/old.yaml"]`,
			}},
		{"keys list -o jsonpath, files", []string{"keys", "list", "-o", `jsonpath={range .files[*]}{.file} {.status}{"\n"}{end}`},
			[]string{"secrets/db.yaml up-to-date", "secrets/old.yaml differs"}},
		{"keys usage -o name", []string{"keys", "usage", "-o", "name"},
			[]string{"key.seal.dev/" + fa, "key.seal.dev/" + fc}},
		{"keys usage -o jsonpath", []string{"keys", "usage", "-o",
			`jsonpath={range .items[*]}{.fingerprint}={.cluster.gitSyncs[*].gitSync}@{.cluster.gitSyncs[*].revision}{"\n"}{end}`},
			[]string{fa + "=seal-system/prod@" + rev, fc + "=team-b/shop@" + rev}},
		{"keys usage -n --no-headers", []string{"keys", "usage", "-n", "team-b", "--no-headers"},
			[]string{fc + "   team-b/shop   " + rev[:12] + "   1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := seal(tt.args...)
			slices.Sort(tt.want)
			if diff := cmp.Diff(tt.want, sortedLines(res.Stdout)); diff != "" {
				t.Errorf("stdout (-want +got):\n%s\nstderr:\n%s", diff, res.Stderr)
			}
		})
	}

	// -o yaml: the KeyList a script can rely on, beside the cluster read.
	for _, cmd := range [][]string{{"keys", "list", "--cluster-usage"}, {"keys", "usage"}} {
		res := seal(append(cmd, "-o", "yaml")...)
		var list struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Items      []struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			} `json:"items"`
			Cluster struct {
				GitSyncs []string `json:"gitSyncs"`
			} `json:"cluster"`
		}
		if err := yaml.Unmarshal([]byte(res.Stdout), &list); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, res.Stdout)
		}
		if list.APIVersion != "seal.dev/v1alpha1" || list.Kind != "KeyList" || len(list.Items) == 0 ||
			list.Items[0].Kind != "Key" || !strings.HasPrefix(list.Items[0].Metadata.Name, "sha256:") ||
			!slices.Equal(list.Cluster.GitSyncs, []string{"seal-system/prod", "team-b/shop"}) {
			t.Errorf("%v -o yaml: %+v", cmd, list)
		}
	}
}
