package render

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/agent/sealcheck"
	"github.com/seal-gitops/seal/crypto"
)

// sealDecryptor opens real seal files into tokens with one identity.
type sealDecryptor struct{ id age.Identity }

func (d sealDecryptor) Decrypt(name string, data []byte, whole bool) (*Decrypted, error) {
	t, err := crypto.DecryptTokens(name, data, []age.Identity{d.id}, whole)
	if err != nil {
		return nil, err
	}
	return &Decrypted{Text: t.Text, KeyID: "k", Values: t.Values}, nil
}

const chartPassword = "chart-pw-51c9"

// helmRepo is a repository with testdata chart app at charts/app, a
// HelmRelease prod/shop in apps/shop.yaml reading apps/shop-values.yaml,
// sealed for release bind, and a ConfigMap beside it.
type helmRepo struct {
	files map[string]string
	id    *age.X25519Identity
}

func newHelmRepo(t *testing.T, bind, release string) *helmRepo {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	h := &helmRepo{files: map[string]string{}, id: id}
	root := filepath.Join("..", "helm", "testdata", "charts", "app")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		h.files["charts/app/"+filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ns, name, _ := strings.Cut(bind, "/")
	h.files["apps/shop-values.yaml"] = h.seal(t, "db:\n  user: app\n  password: "+chartPassword+"\n", ns, name)
	h.files["apps/shop.yaml"] = release
	h.files["apps/web.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n"
	return h
}

func (h *helmRepo) seal(t *testing.T, plain, ns, name string) string {
	t.Helper()
	enc, err := crypto.EncryptInput("shop-values.yaml", []byte(plain), crypto.InputOptions{Recipients: []string{h.id.Recipient().String()}, Namespace: ns, Name: name, Kind: crypto.ReleaseKind})
	if err != nil {
		t.Fatal(err)
	}
	return string(enc)
}

func (h *helmRepo) render(t *testing.T, path string, edit func(opts *Options)) (*Result, error) {
	t.Helper()
	opts := Options{Path: path, Decryptor: sealDecryptor{h.id}, IsEncrypted: crypto.IsEncrypted, Capabilities: func(context.Context) (helm.Capabilities, error) {
		return helm.Capabilities{KubeVersion: "v1.37.2"}, nil
	}}
	if edit != nil {
		edit(&opts)
	}
	return Render(t.Context(), os.DirFS(writeTree(t, h.files)), opts)
}

const shopRelease = `apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: shop
  namespace: prod
spec:
  chart:
    path: charts/app
    version: 1.0.0
  valuesFiles: [apps/shop-values.yaml]
  values:
    replicas: 2
`

// A HelmRelease with a sealed values file bound to it: the chart's objects
// replace the release, owned by it; the sealed password reaches the chart
// as a token and the seal check swaps the value into the Secret.
func TestRenderHelmRelease(t *testing.T) {
	for _, mode := range []string{"plain", "kustomize"} {
		t.Run(mode, func(t *testing.T) {
			h := newHelmRepo(t, "prod/shop", shopRelease)
			if mode == "kustomize" {
				h.files["apps/kustomization.yaml"] = "resources: [web.yaml, shop.yaml]\n"
			}
			res, err := h.render(t, "apps", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, o := range res.Objects {
				got = append(got, fmt.Sprintf("%s %s/%s owner=%s", o.GetKind(), o.GetNamespace(), o.GetName(), res.Owners[i]))
			}
			want := []string{
				"Secret prod/shop-db owner=HelmRelease/prod/shop",
				"ConfigMap prod/shop-sub owner=HelmRelease/prod/shop",
				"ConfigMap prod/shop-config owner=HelmRelease/prod/shop",
				"Deployment prod/shop owner=HelmRelease/prod/shop",
			}
			web := "ConfigMap /web owner="
			if mode == "plain" {
				want = append(want, web)
			} else {
				want = append([]string{web}, want...)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if len(res.Releases) != 1 {
				t.Fatalf("%d releases", len(res.Releases))
			}
			r := res.Releases[0]
			if r.Name != "shop" || r.Chart != "charts/app" || r.Version != "1.0.0" || !strings.HasPrefix(r.Digest, "sha256:") || len(r.Digest) != 71 || r.HooksSkipped != 2 || r.Objects != 4 {
				t.Errorf("release info %+v", r)
			}
			if strings.Contains(fmt.Sprint(res.Objects), chartPassword) || strings.Contains(fmt.Sprint(res.Objects), base64.StdEncoding.EncodeToString([]byte(chartPassword))) {
				t.Fatal("the render holds the plaintext before the seal check")
			}
			if _, err := sealcheck.Check(res.Objects, res.Sources, res.Sealed, sealcheck.Options{Owners: res.Owners}); err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				if o.GetKind() == "Secret" {
					data := o.Object["data"].(map[string]any)
					if data["password"] != base64.StdEncoding.EncodeToString([]byte(chartPassword)) {
						t.Errorf("Secret data.password after the check = %v", data["password"])
					}
				}
			}
		})
	}
}

func TestRenderHelmReleaseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		bind    string
		release string
		edit    func(t *testing.T, h *helmRepo)
		is      error
		want    []string
	}{
		{"values file bound to another release", "prod/other", shopRelease, nil, ErrValuesBinding,
			[]string{"apps/shop-values.yaml", "sealed for HelmRelease prod/other", "HelmRelease prod/shop reads it", "seal encrypt --release prod/shop"}},
		{"values file bound to a Secret", "prod/shop", shopRelease, func(t *testing.T, h *helmRepo) {
			enc, _ := crypto.EncryptInput("v.yaml", []byte("db:\n  password: x\n"), crypto.InputOptions{Recipients: []string{h.id.Recipient().String()}, Namespace: "prod", Name: "shop"})
			h.files["apps/shop-values.yaml"] = string(enc)
		}, ErrValuesBinding, []string{"apps/shop-values.yaml", "sealed for Secret prod/shop"}},
		{"missing chart", "prod/shop", strings.Replace(shopRelease, "path: charts/app", "path: charts/nope", 1), nil, ErrHelm,
			[]string{"apps/shop.yaml: HelmRelease prod/shop", "spec.chart.path charts/nope does not exist"}},
		{"version not the chart's", "prod/shop", strings.Replace(shopRelease, "version: 1.0.0", "version: 1.1.0", 1), nil, ErrHelm,
			[]string{"the chart at charts/app has version 1.0.0, but spec.chart.version pins 1.1.0"}},
		{"no version", "prod/shop", strings.Replace(shopRelease, "    version: 1.0.0\n", "", 1), nil, ErrHelm,
			[]string{"apps/shop.yaml: HelmRelease prod/shop", "spec.chart.version: missing"}},
		{"missing values file", "prod/shop", strings.Replace(shopRelease, "apps/shop-values.yaml", "apps/nope.yaml", 1), nil, ErrHelm,
			[]string{"values file apps/nope.yaml does not exist"}},
		{"a template that fails on a sealed value", "prod/shop", shopRelease, func(t *testing.T, h *helmRepo) {
			h.files["apps/shop-values.yaml"] = h.seal(t, "failWith: "+chartPassword+"\n", "prod", "shop")
		}, ErrHelm, []string{"apps/shop.yaml", "chart render failed", "refusing value (sealed value)"}},
		{"an encrypted chart file", "prod/shop", shopRelease, func(t *testing.T, h *helmRepo) {
			h.files["charts/app/templates/extra.yaml"] = h.seal(t, "a: b\n", "prod", "shop")
		}, ErrHelm, []string{"charts/app/templates/extra.yaml", "chart files must not be encrypted"}},
		{"a chart link out of the repository", "prod/shop", shopRelease, func(t *testing.T, h *helmRepo) {
			h.files["charts/app/templates/passwd.yaml"] = "->/etc/passwd"
		}, ErrOutsideRepository, []string{"charts/app/templates/passwd.yaml"}},
		{"a release declared twice", "prod/shop", shopRelease + "---\n" + shopRelease, nil, ErrHelm,
			[]string{"declared again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHelmRepo(t, tt.bind, tt.release)
			if tt.edit != nil {
				tt.edit(t, h)
			}
			_, err := h.render(t, "apps", nil)
			wantErr(t, err, tt.is, tt.want...)
			if err != nil && strings.Contains(err.Error(), chartPassword) {
				t.Errorf("the error holds the value: %v", err)
			}
		})
	}
}

// A chart from an HTTP chart repository: downloaded once into the
// fetcher's cache, its archive digest recorded.
func TestRenderHelmReleaseFromRepository(t *testing.T) {
	h := newHelmRepo(t, "prod/shop", "")
	archive := chartArchive(t, h.files)
	sum := sha256.Sum256(archive)
	digest := hex.EncodeToString(sum[:])
	downloads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  app:\n  - {apiVersion: v2, name: app, version: 1.0.0, digest: %s, urls: [app-1.0.0.tgz]}\n", digest)
		case "/app-1.0.0.tgz":
			downloads++
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h.files["apps/shop.yaml"] = strings.Replace(shopRelease, "path: charts/app", "repository: "+srv.URL+"\n    name: app", 1)
	fetcher := helm.NewFetcher(srv.Client(), helm.Limits{})
	for range 2 {
		res, err := h.render(t, "apps", func(o *Options) { o.Charts = fetcher })
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Releases[0]; r.Digest != "sha256:"+digest || r.Chart != srv.URL+" app" {
			t.Errorf("release %+v, want the archive's digest", r)
		}
	}
	if downloads != 1 {
		t.Errorf("%d downloads, want 1 (cached by digest)", downloads)
	}
	srv.Close()
	_, err := h.render(t, "apps", nil)
	wantErr(t, err, ErrHelm, "apps/shop.yaml: HelmRelease prod/shop", "the repository is unreachable")
}

// chartArchive packs the files under charts/app/ of files as app/.
func chartArchive(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		rest, ok := strings.CutPrefix(name, "charts/app/")
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: "app/" + rest, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}
