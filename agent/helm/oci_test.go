package helm

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"helm.sh/helm/v3/pkg/registry"
)

// ociRegistry is an in-process registry speaking the OCI distribution
// protocol (go-containerregistry's), holding what tests push to it.
type ociRegistry struct {
	handler http.Handler
	// push is a plain-HTTP server without auth, for pushing.
	push *httptest.Server
	// pulls counts chart layer (blob) downloads.
	pulls atomic.Int32
}

func newOCIRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	r := &ociRegistry{}
	inner := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	r.handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			r.pulls.Add(1)
		}
		inner.ServeHTTP(w, req)
	})
	r.push = httptest.NewServer(r.handler)
	t.Cleanup(r.push.Close)
	return r
}

// pushChart pushes archive as chart name:version under repository path
// with Helm's registry client, as `helm push` does.
func (r *ociRegistry) pushChart(t *testing.T, path, name, version string, archive []byte) {
	t.Helper()
	c, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(os.DevNull))
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(r.push.URL, "http://")
	if _, err := c.Push(archive, host+"/"+path+"/"+name+":"+version); err != nil {
		t.Fatalf("pushing %s %s: %v", name, version, err)
	}
}

// appArchive is testdata chart app 1.0.0 as an archive.
func appArchive(t *testing.T) []byte { return tgz(t, chartEntries(t, "app", "app")...) }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFetchOCIPlainHTTPCachesByDigest(t *testing.T) {
	reg := newOCIRegistry(t)
	archive := appArchive(t)
	reg.pushChart(t, "charts", "app", "1.0.0", archive)
	f := NewFetcher(nil, Limits{})
	ref := ChartRef{Repository: "oci://" + strings.TrimPrefix(reg.push.URL, "http://") + "/charts", Name: "app", Version: "1.0.0", PlainHTTP: true}
	for range 3 {
		got, digest, err := f.Fetch(t.Context(), ref, nil)
		if err != nil {
			t.Fatal(err)
		}
		if digest != sha(archive) || sha(got) != sha(archive) {
			t.Fatalf("digest %s, want the pushed archive's %s", digest, sha(archive))
		}
		if _, err := LoadArchive("app", got, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	// Helm's client pulls the config blob and the chart blob.
	if n := reg.pulls.Load(); n != 2 {
		t.Errorf("%d blob downloads for three fetches, want 2 (config and chart, once)", n)
	}
}

// authRegistry serves reg over HTTPS, asking for basic auth user:pass (or
// bearer token tok when set) on every request but the blob downloads it
// redirects to blobs, another HTTPS server (another host:port) that
// records the Authorization headers it receives.
type authRegistry struct {
	*httptest.Server
	blobs      *httptest.Server
	mu         sync.Mutex
	blobAuth   []string // Authorization headers the blob host saw
	unauthed   atomic.Int32
	redirect   bool
	bearer     bool // challenge with Bearer, not Basic
	user, pass string
	token      string
}

func newAuthRegistry(t *testing.T, reg *ociRegistry, redirect, bearer bool) *authRegistry {
	t.Helper()
	a := &authRegistry{redirect: redirect, bearer: bearer, user: "chart-user", pass: "chart-pass-9c1e", token: "chart-token-77aa"}
	a.blobs = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		a.mu.Lock()
		a.blobAuth = append(a.blobAuth, req.Header.Get("Authorization"))
		a.mu.Unlock()
		reg.handler.ServeHTTP(w, req)
	}))
	t.Cleanup(a.blobs.Close)
	a.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, basic := req.BasicAuth()
		ok := basic && u == a.user && p == a.pass || req.Header.Get("Authorization") == "Bearer "+a.token
		if !ok {
			a.unauthed.Add(1)
			challenge := `Basic realm="charts"`
			if a.bearer {
				// A token service this test does not run: a client
				// holding a token sends it without asking.
				challenge = `Bearer realm="https://` + req.Host + `/token",service="charts"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if a.redirect && req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			http.Redirect(w, req, a.blobs.URL+req.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		reg.handler.ServeHTTP(w, req)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *authRegistry) host() string { return strings.TrimPrefix(a.URL, "https://") }

func TestFetchOCIWithCredentials(t *testing.T) {
	reg := newOCIRegistry(t)
	archive := appArchive(t)
	reg.pushChart(t, "charts", "app", "1.0.0", archive)
	basic, bearer := newAuthRegistry(t, reg, true, false), newAuthRegistry(t, reg, true, true)
	tests := []struct {
		name  string
		a     *authRegistry
		creds func(a *authRegistry) *Credentials
		want  string // error; "" for success
	}{
		{"anonymous", basic, func(*authRegistry) *Credentials { return nil }, "401 Unauthorized"},
		{"basic auth", basic, func(a *authRegistry) *Credentials {
			return &Credentials{Username: a.user, Password: a.pass, Hosts: []string{a.host()}, Source: "Secret ns/chart-creds"}
		}, ""},
		{"bearer token", bearer, func(a *authRegistry) *Credentials {
			return &Credentials{Token: a.token, Hosts: []string{a.host()}, Source: "Secret ns/chart-creds"}
		}, ""},
		{"wrong password", basic, func(a *authRegistry) *Credentials {
			return &Credentials{Username: a.user, Password: "nope", Hosts: []string{a.host()}, Source: "Secret ns/chart-creds"}
		}, "401 Unauthorized"},
		{"credentials for another host", basic, func(a *authRegistry) *Credentials {
			return &Credentials{Username: a.user, Password: a.pass, Hosts: []string{"registry.example.com"}, Source: "Secret ns/chart-creds"}
		}, "Secret ns/chart-creds is not for host "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			ref := ChartRef{Repository: "oci://" + a.host() + "/charts", Name: "app", Version: "1.0.0"}
			a.mu.Lock()
			a.blobAuth = nil
			a.mu.Unlock()
			_, digest, err := NewFetcher(a.Client(), Limits{}).Fetch(t.Context(), ref, tt.creds(a))
			if tt.want != "" {
				if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), ref.Repository) {
					t.Fatalf("Fetch = %v, want ErrRepository naming %s and %q", err, ref.Repository, tt.want)
				}
				if strings.Contains(err.Error(), a.pass) {
					t.Fatal("the error holds the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if digest != sha(archive) {
				t.Errorf("digest %s, want %s", digest, sha(archive))
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			if len(a.blobAuth) == 0 {
				t.Fatal("no blob download was redirected to the other host")
			}
			for _, h := range a.blobAuth {
				if h != "" {
					t.Errorf("the blob host (another host:port) received an Authorization header %q", h)
				}
			}
		})
	}
}

func TestFetchOCIRefuses(t *testing.T) {
	reg := newOCIRegistry(t)
	archive := appArchive(t)
	reg.pushChart(t, "charts", "app", "1.0.0", archive)
	host := strings.TrimPrefix(reg.push.URL, "http://")
	repo := "oci://" + host + "/charts"
	creds := &Credentials{Username: "u", Password: "p", Hosts: []string{host}, Source: "Secret ns/c"}
	tests := []struct {
		name  string
		ref   ChartRef
		creds *Credentials
		lim   Limits
		want  string
	}{
		{"missing version", ChartRef{Repository: repo, Name: "app", Version: "2.0.0", PlainHTTP: true}, nil, Limits{}, "chart app 2.0.0: not found in the registry"},
		{"missing chart", ChartRef{Repository: repo, Name: "nope", Version: "1.0.0", PlainHTTP: true}, nil, Limits{}, "chart nope 1.0.0: not found in the registry"},
		{"HTTPS to a plain HTTP registry", ChartRef{Repository: repo, Name: "app", Version: "1.0.0"}, nil, Limits{}, "http: server gave HTTP response to HTTPS client"},
		{"credentials over plain HTTP", ChartRef{Repository: repo, Name: "app", Version: "1.0.0", PlainHTTP: true}, creds, Limits{}, "credentials are never sent over plain HTTP"},
		{"archive over the cap", ChartRef{Repository: repo, Name: "app", Version: "1.0.0", PlainHTTP: true}, nil, Limits{MaxArchiveSize: 100}, "over the limit"},
		{"a path that is not a repository", ChartRef{Repository: "oci://" + host + "/a?b", Name: "app", Version: "1.0.0", PlainHTTP: true}, nil, Limits{}, "not an oci://host/path registry repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewFetcher(nil, tt.lim).Fetch(t.Context(), tt.ref, tt.creds)
			if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Fetch = %v, want ErrRepository and %q", err, tt.want)
			}
		})
	}
	t.Run("registry down", func(t *testing.T) {
		reg.push.Close()
		_, _, err := NewFetcher(nil, Limits{}).Fetch(t.Context(), ChartRef{Repository: repo, Name: "app", Version: "1.0.0", PlainHTTP: true}, nil)
		if !errors.Is(err, ErrRepository) || !strings.Contains(err.Error(), "the registry is unreachable") {
			t.Fatalf("Fetch = %v, want the registry named unreachable", err)
		}
	})
}
