package agent_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// The values the Helm tests seal. Each has characters that JSON, Go and
// YAML escape, so the leak check also finds quoted forms.
const (
	helmPW     = `helm"pw\<&>-8c21`
	helmPW2    = `helm"pw\<&>-second-4be0`
	helmUser   = "helm-user-3f9a"
	helmConfig = `cfg"val\-71d3`
)

// chartFiles are the files of the test chart (agent/helm/testdata/charts/app:
// a dependency, a values schema, a Secret from db.password and db.user, a
// ConfigMap from config, a Deployment with a checksum of the Secret, hooks),
// keyed under dir/.
func chartFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	root := filepath.Join(harness.RepoRoot(), "agent", "helm", "testdata", "charts", "app")
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[dir+"/"+filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// helmRelease is the HelmRelease file of release name in the test
// namespace, reading apps/<valuesFile>, with extra spec lines.
func (s *sealEnv) helmRelease(name, chart, valuesFile, extra string) []byte {
	return []byte(s.sub(fmt.Sprintf(`apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: %s
  namespace: {ns}
spec:
  chart:
%s
  valuesFiles: [apps/%s]
%s`, name, chart, valuesFile, extra)))
}

const localChart = "    path: charts/app\n    version: 1.0.0"

// sealValues seals a values file for release ns/name with the built seal.
func (s *sealEnv) sealValues(content, release string, plaintexts ...string) []byte {
	s.t.Helper()
	s.secrets = append(s.secrets, plaintexts...)
	res := s.runSeal("values.yaml", []byte(content), "encrypt", "-r", s.recipient, "--release", release)
	if res.ExitCode != 0 {
		s.t.Fatalf("seal encrypt --release %s: exit %d: %s", release, res.ExitCode, res.Stderr)
	}
	return []byte(res.Stdout)
}

func dbValues(user, pw string) string {
	return fmt.Sprintf("db:\n  user: %s\n  password: '%s'\n", user, strings.ReplaceAll(pw, "'", "''"))
}

// startHelm commits the chart, a ConfigMap and release shop with sealed
// db credentials, and syncs path apps.
func (s *sealEnv) startHelm(mutate func(*v1alpha1.GitSync)) string {
	s.t.Helper()
	files := chartFiles(s.t, "charts/app")
	files["apps/web.yaml"] = configMap("web-config", "hello")
	files["apps/keep.yaml"] = configMap("keep-config", "kept")
	files["apps/shop.yaml"] = s.helmRelease("shop", localChart, "shop-values.yaml", "")
	files["apps/shop-values.yaml"] = s.sealValues(dbValues(helmUser, helmPW), s.ns+"/shop", helmPW, helmUser)
	sha := s.commit("helm release shop", files)
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.Path = "apps"
		if mutate != nil {
			mutate(gs)
		}
	})
	s.good = sha
	s.waitApplied("apps", sha)
	return sha
}

func (s *sealEnv) checksum() string {
	s.t.Helper()
	var d appsv1.Deployment
	if err := kube.Client.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: "shop"}, &d); err != nil {
		s.t.Fatal(err)
	}
	return d.Spec.Template.Annotations["checksum/secret"]
}

// TestHelmReleaseFromTheRepository: a chart in the repository with a
// values file sealed for its release by seal encrypt --release: the
// sealed values land in the chart's Secret, hooks are left out, status
// records the chart and its digest. A new sealed value changes the Secret
// and rolls the Deployment (checksum annotation); git revert rolls back;
// removing the release prunes its objects.
func TestHelmReleaseFromTheRepository(t *testing.T) {
	t.Parallel()
	s := newSealEnv(t)
	first := s.startHelm(nil)
	if diff := cmp.Diff(map[string]string{"password": helmPW, "user": helmUser}, s.secretData("shop-db")); diff != "" {
		t.Errorf("Secret shop-db (-want +got):\n%s", diff)
	}
	for _, cm := range []string{"shop-config", "shop-sub", "web-config"} {
		if !s.configMapExists(cm) {
			t.Errorf("ConfigMap %s was not applied", cm)
		}
	}
	if s.configMapExists("shop-migrate") {
		t.Error("the chart's pre-install hook was applied; hooks are skipped by default")
	}
	gs := s.get("apps")
	if len(gs.Status.HelmReleases) != 1 {
		t.Fatalf("status.helmReleases = %+v", gs.Status.HelmReleases)
	}
	rel := gs.Status.HelmReleases[0]
	if rel.Name != "shop" || rel.Namespace != s.ns || rel.Chart != "charts/app" || rel.Version != "1.0.0" ||
		!strings.HasPrefix(rel.Digest, "sha256:") || rel.HooksSkipped != 2 || rel.Objects != 4 || rel.File != "apps/shop.yaml" {
		t.Errorf("status.helmReleases[0] = %+v", rel)
	}
	sum := s.checksum()

	second := s.commit("new db password", map[string][]byte{
		"apps/shop-values.yaml": s.sealValues(dbValues(helmUser, helmPW2), s.ns+"/shop", helmPW2),
	})
	s.waitApplied("apps", second)
	if got := s.secretData("shop-db")["password"]; got != helmPW2 {
		t.Errorf("Secret shop-db after the new value holds %d bytes, not the new sealed value", len(got))
	}
	if s.checksum() == sum {
		t.Error("the Deployment's checksum/secret annotation did not change with the sealed value, so its pods would not roll")
	}

	revert, err := s.repo.Revert(second)
	if err != nil {
		t.Fatal(err)
	}
	s.syncNow()
	s.waitApplied("apps", revert)
	if got := s.secretData("shop-db")["password"]; got != helmPW {
		t.Error("git revert did not bring the first sealed value back")
	}
	if s.checksum() != sum {
		t.Error("git revert did not bring the first checksum back")
	}

	removed := s.commit("remove release shop", map[string][]byte{"apps/shop.yaml": nil, "apps/shop-values.yaml": nil})
	gs = s.waitApplied("apps", removed)
	if s.configMapExists("shop-config") || !s.configMapExists("web-config") {
		t.Error("removing the release did not prune its objects alone")
	}
	if len(gs.Status.HelmReleases) != 0 {
		t.Errorf("status.helmReleases after the removal = %+v", gs.Status.HelmReleases)
	}
	_ = first
}

// TestHelmSealedValueInAConfigMap: a chart that puts a sealed value in a
// ConfigMap is refused (nothing applied or pruned; the values file, the
// ConfigMap and the field named; no value anywhere) until the release
// widens to ConfigMap; then the value lands there and status shows the
// widening.
func TestHelmSealedValueInAConfigMap(t *testing.T) {
	t.Parallel()
	s := newSealEnv(t)
	s.startHelm(nil)
	before := s.get("apps").Status.AppliedObjects
	objects := s.snapshot()

	values := dbValues(helmUser, helmPW) + fmt.Sprintf("config:\n  greeting: '%s'\n", helmConfig)
	sealed := s.sealValues(values, s.ns+"/shop", helmConfig)
	s.commit("sealed value into a ConfigMap", map[string][]byte{
		"apps/shop-values.yaml": sealed,
		"apps/web.yaml":         configMap("web-config", "changed"),
		"apps/keep.yaml":        nil,
	})
	msg := s.waitFailed("apps", v1alpha1.ReasonSealViolation)
	t.Logf("Ready message: %s", msg)
	for _, want := range []string{"apps/shop-values.yaml", "config.greeting", "ConfigMap " + s.ns + "/shop-config at data.greeting", "HelmRelease " + s.ns + "/shop", "spec.sealedValues.allowKinds"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message does not name %q", want)
		}
	}
	s.checkUnchanged(objects, before)

	widened := s.commit("widen release shop to ConfigMap", map[string][]byte{
		"apps/shop.yaml": s.helmRelease("shop", localChart, "shop-values.yaml", "  sealedValues:\n    allowKinds: [ConfigMap]\n"),
	})
	gs := s.waitApplied("apps", widened)
	if got := s.configMapValue("shop-config"); got != helmConfig {
		t.Errorf("ConfigMap shop-config holds %d bytes at greeting, not the sealed value", len(got))
	}
	if s.configMapExists("keep-config") {
		t.Error("keep-config was not pruned once the revision applied")
	}
	rel := gs.Status.HelmReleases[0]
	if diff := cmp.Diff([]string{"ConfigMap"}, rel.AllowKinds); diff != "" {
		t.Errorf("status allowKinds (-want +got):\n%s", diff)
	}
	if want := []string{"ConfigMap " + s.ns + "/shop-config at data.greeting"}; !slices.Equal(want, rel.Widened) {
		t.Errorf("status widened = %q, want %q", rel.Widened, want)
	}
}

// TestHelmValuesSealedForAnotherRelease: a values file sealed for release
// shop, read by release other, refuses the revision.
func TestHelmValuesSealedForAnotherRelease(t *testing.T) {
	t.Parallel()
	s := newSealEnv(t)
	s.startHelm(nil)
	before := s.get("apps").Status.AppliedObjects
	objects := s.snapshot()
	s.commit("release other reads shop's values", map[string][]byte{
		"apps/other.yaml": s.helmRelease("other", localChart, "shop-values.yaml", ""),
		"apps/web.yaml":   configMap("web-config", "changed"),
		"apps/keep.yaml":  nil,
	})
	msg := s.waitFailed("apps", v1alpha1.ReasonSealViolation)
	t.Logf("Ready message: %s", msg)
	for _, want := range []string{"apps/shop-values.yaml", "sealed for HelmRelease " + s.ns + "/shop", "HelmRelease " + s.ns + "/other reads it", "seal encrypt --release " + s.ns + "/other"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message does not name %q", want)
		}
	}
	s.checkUnchanged(objects, before)
}

// TestHelmReleaseFromAChartRepository: a chart served by an HTTP chart
// repository (index.yaml and the archive) is downloaded, rendered with its
// sealed values and its archive digest recorded; with the repository down
// a new revision is refused and nothing changes.
func TestHelmReleaseFromAChartRepository(t *testing.T) {
	t.Parallel()
	archive := chartArchive(t, chartFiles(t, "app"))
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])
	repo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/charts/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  app:\n  - apiVersion: v2\n    name: app\n    version: 1.0.0\n    digest: sha256:%s\n    urls: [app-1.0.0.tgz]\n", digest)
		case "/charts/app-1.0.0.tgz":
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	defer repo.Close()
	s := newSealEnv(t, "--allowed-networks", "127.0.0.1/32")
	chart := fmt.Sprintf("    repository: %s/charts\n    name: app\n    version: 1.0.0", repo.URL)
	sha := s.commit("release shop from a chart repository", map[string][]byte{
		"apps/web.yaml":         configMap("web-config", "hello"),
		"apps/keep.yaml":        configMap("keep-config", "kept"),
		"apps/shop.yaml":        s.helmRelease("shop", chart, "shop-values.yaml", ""),
		"apps/shop-values.yaml": s.sealValues(dbValues(helmUser, helmPW), s.ns+"/shop", helmPW, helmUser),
	})
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "apps" })
	s.good = sha
	gs := s.waitApplied("apps", sha)
	if got := s.secretData("shop-db")["password"]; got != helmPW {
		t.Error("Secret shop-db does not hold the sealed value")
	}
	if rel := gs.Status.HelmReleases[0]; rel.Digest != "sha256:"+digest || rel.Chart != repo.URL+"/charts app" {
		t.Errorf("status.helmReleases[0] = %+v, want the archive's digest sha256:%s", rel, digest)
	}

	before, objects := gs.Status.AppliedObjects, s.snapshot()
	repo.Close()
	s.commit("change while the chart repository is down", map[string][]byte{
		"apps/web.yaml":  configMap("web-config", "changed"),
		"apps/keep.yaml": nil,
		"apps/shop.yaml": s.helmRelease("shop", chart, "shop-values.yaml", "  values:\n    replicas: 3\n"),
	})
	msg := s.waitFailed("apps", v1alpha1.ReasonRenderFailed)
	t.Logf("Ready message: %s", msg)
	for _, want := range []string{"apps/shop.yaml", "HelmRelease " + s.ns + "/shop", repo.URL + "/charts", "unreachable"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ready message does not name %q", want)
		}
	}
	s.checkUnchanged(objects, before)
}

// chartArchive packs files (paths under app/) as `helm package` would.
func chartArchive(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHelmBadInput: each bad release refuses the revision with its
// reason, naming the file; nothing is applied or pruned.
func TestHelmBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, reason string
		release      func(s *sealEnv) []byte
		mention      []string
	}{
		{"a chart that renders a plaintext Secret value", v1alpha1.ReasonSealViolation, func(s *sealEnv) []byte {
			return s.helmRelease("shop", localChart, "shop-values.yaml", "  values:\n    db: {password: inline-plaintext}\n")
		}, []string{"Secret {ns}/shop-db at data.password", "apps/shop.yaml (HelmRelease {ns}/shop, app/templates/secret.yaml)", "the value was not sealed", "seal encrypt --release"}},
		{"values the chart's schema refuses", v1alpha1.ReasonRenderFailed, func(s *sealEnv) []byte {
			return s.helmRelease("shop", localChart, "shop-values.yaml", "  values:\n    replicas: many\n")
		}, []string{"apps/shop.yaml", "HelmRelease {ns}/shop", "chart render failed", "replicas"}},
		{"a version the chart does not have", v1alpha1.ReasonRenderFailed, func(s *sealEnv) []byte {
			return s.helmRelease("shop", "    path: charts/app\n    version: 9.9.9", "shop-values.yaml", "")
		}, []string{"apps/shop.yaml: HelmRelease {ns}/shop", "has version 1.0.0, but spec.chart.version pins 9.9.9"}},
		{"a missing chart", v1alpha1.ReasonRenderFailed, func(s *sealEnv) []byte {
			return s.helmRelease("shop", "    path: charts/nope\n    version: 1.0.0", "shop-values.yaml", "")
		}, []string{"spec.chart.path charts/nope does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSealEnv(t)
			s.startHelm(nil)
			before := s.get("apps").Status.AppliedObjects
			objects := s.snapshot()
			s.commit(tt.name, map[string][]byte{
				"apps/shop.yaml": tt.release(s),
				"apps/web.yaml":  configMap("web-config", "changed"),
				"apps/keep.yaml": nil,
			})
			msg := s.waitFailed("apps", tt.reason)
			t.Logf("Ready message: %s", msg)
			for _, m := range tt.mention {
				if m = s.sub(m); !strings.Contains(msg, m) {
					t.Errorf("Ready message does not name %q", m)
				}
			}
			s.checkUnchanged(objects, before)
		})
	}
}
