package agent_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/testbin"
)

// helmPush pushes archive (the chart app-1.0.0.tgz) to the OCI registry
// repository ref (oci://host/path) over plain HTTP with the real helm CLI,
// its configuration in a throwaway home.
func helmPush(t *testing.T, archive []byte, ref string) {
	t.Helper()
	helm, err := testbin.Path("helm")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tgz := filepath.Join(dir, "app-1.0.0.tgz")
	if err := os.WriteFile(tgz, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helm, "push", tgz, ref, "--plain-http")
	cmd.Env = append(os.Environ(), "HOME="+dir, "HELM_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HELM_CACHE_HOME="+filepath.Join(dir, "cache"), "HELM_DATA_HOME="+filepath.Join(dir, "data"), "DOCKER_CONFIG="+filepath.Join(dir, "docker"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helm push %s: %v\n%s", ref, err, out)
	}
}

// TestHelmReleaseFromAnOCIRegistry: a chart pushed with `helm push` to an
// OCI registry (go-containerregistry's, in the test process, plain HTTP
// on loopback) is pulled by the built agent, rendered with its sealed
// values and its archive digest recorded. A release naming a credentials
// Secret without the seal.dev/chart-hosts annotation is refused, as is
// one whose Secret would send credentials over plain HTTP; with the
// registry down a new revision is refused. Nothing changes on a refusal.
func TestHelmReleaseFromAnOCIRegistry(t *testing.T) {
	t.Parallel()
	archive := chartArchive(t, chartFiles(t, "app"))
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])
	reg := httptest.NewServer(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	helmPush(t, archive, "oci://"+host+"/charts")

	s := newSealEnv(t, "--allowed-networks", "127.0.0.1/32")
	chart := fmt.Sprintf("    repository: oci://%s/charts\n    name: app\n    version: 1.0.0\n    plainHTTP: true", host)
	sha := s.commit("release shop from an OCI registry", map[string][]byte{
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
	if rel := gs.Status.HelmReleases[0]; rel.Digest != "sha256:"+digest || rel.Chart != "oci://"+host+"/charts app" || rel.Version != "1.0.0" {
		t.Errorf("status.helmReleases[0] = %+v, want the archive's digest sha256:%s", rel, digest)
	}

	secret := func(name string, annotations map[string]string) {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns, Annotations: annotations},
			StringData: map[string]string{"username": "chart-user", "password": "chart-pass-5b7e"}}
		if err := kube.Client.Create(s.ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	secret("no-hosts", nil)
	secret("for-the-registry", map[string]string{"seal.dev/chart-hosts": host})
	s.secrets = append(s.secrets, "chart-pass-5b7e")
	before, objects := gs.Status.AppliedObjects, s.snapshot()
	for _, tt := range []struct{ secret, want string }{
		{"no-hosts", "has no annotation seal.dev/chart-hosts"},
		{"for-the-registry", "credentials are never sent over plain HTTP"},
	} {
		s.commit("release shop with credentials in "+tt.secret, map[string][]byte{
			"apps/web.yaml":  configMap("web-config", "changed-"+tt.secret),
			"apps/keep.yaml": nil,
			"apps/shop.yaml": s.helmRelease("shop", chart+"\n    secretRef: {name: "+tt.secret+"}", "shop-values.yaml", ""),
		})
		msg := s.waitReadyMessage(v1alpha1.ReasonRenderFailed, tt.want)
		t.Logf("Ready message: %s", msg)
		for _, want := range []string{"apps/shop.yaml", "HelmRelease " + s.ns + "/shop", "Secret " + s.ns + "/" + tt.secret, tt.want} {
			if !strings.Contains(msg, want) {
				t.Errorf("Ready message does not name %q", want)
			}
		}
		s.checkUnchanged(objects, before)
	}

	reg.Close()
	s.commit("change while the registry is down", map[string][]byte{
		"apps/web.yaml":  configMap("web-config", "changed"),
		"apps/keep.yaml": nil,
		"apps/shop.yaml": s.helmRelease("shop", chart, "shop-values.yaml", "  values:\n    replicas: 3\n"),
	})
	msg := s.waitReadyMessage(v1alpha1.ReasonRenderFailed, "the registry is unreachable")
	t.Logf("Ready message: %s", msg)
	if !strings.Contains(msg, "oci://"+host+"/charts") {
		t.Errorf("Ready message does not name the registry: %s", msg)
	}
	s.checkUnchanged(objects, before)
}

// waitReadyMessage waits until GitSync apps is Ready=False with reason and
// a message holding want (an earlier refusal has the same reason), and
// returns the message.
func (s *sealEnv) waitReadyMessage(reason, want string) string {
	s.t.Helper()
	var msg string
	s.eventually(90*time.Second, "Ready=False with reason "+reason+" saying "+want, func() (bool, error) {
		ready := meta.FindStatusCondition(s.get("apps").Status.Conditions, v1alpha1.ConditionReady)
		if ready == nil {
			return false, nil
		}
		msg = ready.Message
		return ready.Status == metav1.ConditionFalse && ready.Reason == reason && strings.Contains(msg, want), nil
	})
	return msg
}

// TestHelmReleaseFromAnOCIRegistryWithCredentials: a registry over HTTPS
// that answers 401 without basic auth (the test's certificate trusted by
// the agent through SSL_CERT_FILE). Anonymous, the release is refused
// naming the 401; with spec.chart.secretRef naming a Secret annotated for
// the registry's host, the built agent reads it, pulls the chart and
// applies it; the password shows up nowhere.
func TestHelmReleaseFromAnOCIRegistryWithCredentials(t *testing.T) {
	t.Parallel()
	archive := chartArchive(t, chartFiles(t, "app"))
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])
	inner := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	push := httptest.NewServer(inner)
	defer push.Close()
	helmPush(t, archive, "oci://"+strings.TrimPrefix(push.URL, "http://")+"/charts")
	const user, pass = "chart-reader", "chart-pass-e41d"
	var refused atomic.Int32
	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "https://")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: reg.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	s := newSealEnv(t, "--allowed-networks", "127.0.0.1/32")
	s.stopAgent()
	s.agentEnv = []string{"SSL_CERT_FILE=" + ca}
	s.startAgent("--allowed-networks", "127.0.0.1/32")
	s.secrets = append(s.secrets, pass)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry-creds", Namespace: s.ns, Annotations: map[string]string{"seal.dev/chart-hosts": host}},
		StringData: map[string]string{"username": user, "password": pass}}
	if err := kube.Client.Create(s.ctx, sec); err != nil {
		t.Fatal(err)
	}

	chart := fmt.Sprintf("    repository: oci://%s/charts\n    name: app\n    version: 1.0.0", host)
	s.commit("release shop from a registry, anonymously", map[string][]byte{
		"apps/web.yaml":         configMap("web-config", "hello"),
		"apps/shop.yaml":        s.helmRelease("shop", chart, "shop-values.yaml", ""),
		"apps/shop-values.yaml": s.sealValues(dbValues(helmUser, helmPW), s.ns+"/shop", helmPW, helmUser),
	})
	s.createGitSync("apps", time.Hour, func(gs *v1alpha1.GitSync) { gs.Spec.Path = "apps" })
	msg := s.waitReadyMessage(v1alpha1.ReasonRenderFailed, "401 Unauthorized")
	t.Logf("Ready message: %s", msg)
	if s.configMapExists("web-config") {
		t.Error("a revision whose chart could not be pulled was applied")
	}

	sha := s.commit("release shop with the registry's credentials", map[string][]byte{
		"apps/shop.yaml": s.helmRelease("shop", chart+"\n    secretRef: {name: registry-creds}", "shop-values.yaml", ""),
	})
	s.good = sha
	gs := s.waitApplied("apps", sha)
	if got := s.secretData("shop-db")["password"]; got != helmPW {
		t.Error("Secret shop-db does not hold the sealed value")
	}
	if rel := gs.Status.HelmReleases[0]; rel.Digest != "sha256:"+digest || rel.Chart != "oci://"+host+"/charts app" {
		t.Errorf("status.helmReleases[0] = %+v, want the archive's digest sha256:%s", rel, digest)
	}
	if refused.Load() == 0 {
		t.Error("the registry never refused a request: it did not ask for credentials")
	}
}
