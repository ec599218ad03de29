package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// CountingProxy sits between a process and the apiserver and counts the
// requests it forwards, so a test or benchmark can tell how many write
// requests a separate process sent. It holds the credentials; the process
// reaches it with the kubeconfig Kubeconfig writes.
type CountingProxy struct {
	srv    *httptest.Server
	writes atomic.Int64
	reads  atomic.Int64

	throttle  atomic.Pointer[func(*http.Request) bool]
	throttled atomic.Int64

	mu       sync.Mutex
	writeLog []string // "METHOD path" of each write since the last Reset
}

// NewCountingProxy starts a proxy to the apiserver cfg reaches.
func NewCountingProxy(cfg *rest.Config) (*CountingProxy, error) {
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	p := &CountingProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reject := p.throttle.Load(); reject != nil && (*reject)(r) {
			p.throttled.Add(1)
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}`)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			p.reads.Add(1)
		default:
			p.writes.Add(1)
			p.mu.Lock()
			p.writeLog = append(p.writeLog, r.Method+" "+r.URL.Path)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

// Close stops the proxy, cutting open connections (watches) first so that it
// does not wait for them.
func (p *CountingProxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Reset zeroes the counters and returns what they held: write requests
// (every method but GET, HEAD and OPTIONS) and reads (watches included).
func (p *CountingProxy) Reset() (writes, reads int64) {
	p.mu.Lock()
	p.writeLog = nil
	p.mu.Unlock()
	return p.writes.Swap(0), p.reads.Swap(0)
}

// WriteRequests lists the write requests since the last Reset, as
// "METHOD path", so a test can tell leader election's from the rest.
func (p *CountingProxy) WriteRequests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.writeLog...)
}

// Throttle makes the proxy answer the requests reject matches with 429
// Too Many Requests and Retry-After: 1, as the API server's priority and
// fairness does when a flow's queue is full, instead of forwarding them;
// nil forwards everything again. It returns how many requests were
// answered 429 since the last call.
func (p *CountingProxy) Throttle(reject func(*http.Request) bool) int64 {
	if reject == nil {
		p.throttle.Store(nil)
	} else {
		p.throttle.Store(&reject)
	}
	return p.throttled.Swap(0)
}

// Kubeconfig writes, into dir, a kubeconfig that reaches the apiserver
// through the proxy, and returns its path.
func (p *CountingProxy) Kubeconfig(dir string) (string, error) {
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
