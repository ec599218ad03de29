package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/registry"

	"github.com/seal-gitops/seal/agent/helm"
)

// A chart from an OCI registry that asks for basic auth, with credentials
// from the Secret spec.chart.secretRef names: rendered with its sealed
// values, the archive's digest recorded; without a credentials reader, or
// with one that fails, the release is refused naming spec.chart.secretRef.
func TestRenderHelmReleaseFromOCIRegistry(t *testing.T) {
	h := newHelmRepo(t, "prod/shop", "")
	archive := chartArchive(t, h.files)
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])

	reg := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	push := httptest.NewServer(reg)
	defer push.Close()
	c, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(os.DevNull))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(archive, strings.TrimPrefix(push.URL, "http://")+"/charts/app:1.0.0"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "reader" || p != "reader-pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	h.files["apps/shop.yaml"] = strings.Replace(shopRelease, "path: charts/app", "repository: oci://"+host+"/charts\n    name: app\n    secretRef: {name: registry-creds}", 1)
	fetcher := helm.NewFetcher(srv.Client(), helm.Limits{})
	var asked []string
	creds := func(_ context.Context, name string) (*helm.Credentials, error) {
		asked = append(asked, name)
		return &helm.Credentials{Username: "reader", Password: "reader-pass", Hosts: []string{host}, Source: "Secret prod/" + name}, nil
	}

	res, err := h.render(t, "apps", func(o *Options) { o.Charts, o.ChartCredentials = fetcher, creds })
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Releases[0]; r.Digest != "sha256:"+digest || r.Chart != "oci://"+host+"/charts app" || r.Objects == 0 {
		t.Errorf("release %+v, want the archive's digest sha256:%s", r, digest)
	}
	if len(asked) != 1 || asked[0] != "registry-creds" {
		t.Errorf("credentials read for %q, want registry-creds once", asked)
	}

	_, err = h.render(t, "apps", func(o *Options) { o.Charts = fetcher })
	wantErr(t, err, ErrHelm, "apps/shop.yaml: HelmRelease prod/shop", "spec.chart.secretRef")
	_, err = h.render(t, "apps", func(o *Options) {
		o.Charts = fetcher
		o.ChartCredentials = func(context.Context, string) (*helm.Credentials, error) {
			return nil, errors.New("reading Secret prod/registry-creds: forbidden")
		}
	})
	wantErr(t, err, ErrHelm, "spec.chart.secretRef: reading Secret prod/registry-creds: forbidden")
}
