package bench_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// countingProxy sits between a process and the apiserver and counts the
// requests it forwards, so a benchmark can report the write requests a
// separate process sent.
type countingProxy struct {
	srv    *httptest.Server
	writes atomic.Int64
	reads  atomic.Int64
}

func newCountingProxy(cfg *rest.Config) (*countingProxy, error) {
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	p := &countingProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			p.reads.Add(1)
		default:
			p.writes.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

// reset zeroes the counters and returns what they held.
func (p *countingProxy) reset() (writes, reads int64) {
	return p.writes.Swap(0), p.reads.Swap(0)
}

// kubeconfig writes a kubeconfig that reaches the apiserver through the
// proxy (which holds the credentials).
func (p *countingProxy) kubeconfig(dir string) (string, error) {
	path := filepath.Join(dir, "proxy.kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster: {server: %q}
contexts:
- name: proxy
  context: {cluster: proxy, user: proxy}
users:
- name: proxy
  user: {}
current-context: proxy
`, p.srv.URL)
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}
