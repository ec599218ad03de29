package gitserver

import (
	"io"
	"net"
	"net/http"
	"path"
	"sync"
)

// Request is one HTTP request the server received: its access log entry.
type Request struct {
	Method string
	// Path is the URL path, for example "/env.git/info/refs".
	Path string
	// Service is the git service asked for: the "service" query parameter
	// of an info/refs request ("git-upload-pack"), or the last path
	// element of a POST ("git-upload-pack", "git-receive-pack").
	Service string
	// Status is the HTTP status sent (0 until the handler sends one).
	Status int
	// BodyIn and BodyOut are the request and response body bytes, without
	// headers or chunked framing.
	BodyIn, BodyOut int64
}

// Traffic is what the HTTP and HTTPS servers saw over some span of time.
type Traffic struct {
	// Requests lists the requests in the order they arrived, at most
	// maxLogged; Dropped counts those left out beyond that.
	Requests []Request
	Dropped  int
	// WireIn and WireOut are the bytes read from and written to the TCP
	// connections (request and status lines, headers, bodies, chunk
	// framing and TLS records: what crossed the wire, minus TCP/IP
	// headers).
	WireIn, WireOut int64
	// Conns counts the TCP connections accepted: a client that keeps its
	// connection alive between requests opens one.
	Conns int
}

// Count is the number of requests with method and service.
func (t Traffic) Count(method, service string) int {
	n := 0
	for _, r := range t.Requests {
		if r.Method == method && r.Service == service {
			n++
		}
	}
	return n
}

// maxLogged bounds the request log between two TakeTraffic calls.
const maxLogged = 1 << 16

// traffic records requests and wire bytes. Every count is added before
// the bytes it counts are handed to the kernel, so once a client has read
// an answer, the answer is already counted.
type traffic struct {
	mu      sync.Mutex
	reqs    []*Request
	dropped int
	in, out int64
	conns   int
}

// TakeTraffic returns what the HTTP and HTTPS servers saw since Start or
// the previous TakeTraffic, and starts counting afresh.
func (s *Server) TakeTraffic() Traffic {
	t := s.traffic
	t.mu.Lock()
	defer t.mu.Unlock()
	out := Traffic{Requests: make([]Request, len(t.reqs)), Dropped: t.dropped, WireIn: t.in, WireOut: t.out, Conns: t.conns}
	for i, r := range t.reqs {
		out.Requests[i] = *r
	}
	t.reqs, t.dropped, t.in, t.out, t.conns = nil, 0, 0, 0, 0
	return out
}

func (t *traffic) add(n int, in bool) {
	t.mu.Lock()
	if in {
		t.in += int64(n)
	} else {
		t.out += int64(n)
	}
	t.mu.Unlock()
}

// logged wraps next so that each request is logged when it arrives and
// its entry updated as bodies flow.
func (t *traffic) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &Request{Method: r.Method, Path: r.URL.Path, Service: r.URL.Query().Get("service")}
		if r.Method == http.MethodPost {
			e.Service = path.Base(r.URL.Path)
		}
		t.mu.Lock()
		if len(t.reqs) < maxLogged {
			t.reqs = append(t.reqs, e)
		} else {
			t.dropped++
			e = &Request{} // counted nowhere
		}
		t.mu.Unlock()
		r.Body = &countingBody{body: r.Body, t: t, e: e}
		next.ServeHTTP(&countingWriter{ResponseWriter: w, t: t, e: e}, r)
	})
}

type countingBody struct {
	body io.ReadCloser
	t    *traffic
	e    *Request
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.t.mu.Lock()
	b.e.BodyIn += int64(n)
	b.t.mu.Unlock()
	return n, err
}

func (b *countingBody) Close() error { return b.body.Close() }

type countingWriter struct {
	http.ResponseWriter
	t *traffic
	e *Request
}

func (w *countingWriter) WriteHeader(code int) {
	w.t.mu.Lock()
	w.e.Status = code
	w.t.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	if w.e.Status == 0 {
		w.e.Status = http.StatusOK
	}
	w.e.BodyOut += int64(len(p))
	w.t.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

// Flush lets the CGI handler stream (it flushes when the writer can).
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// countingListener counts the bytes of every connection it accepts.
type countingListener struct {
	net.Listener
	t *traffic
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.t.mu.Lock()
	l.t.conns++
	l.t.mu.Unlock()
	return &countingConn{Conn: c, t: l.t}, nil
}

type countingConn struct {
	net.Conn
	t *traffic
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.t.add(n, true)
	return n, err
}

// Write counts p before writing it: a client that has read the bytes
// must find them counted. A short write takes the unsent rest back.
func (c *countingConn) Write(p []byte) (int, error) {
	c.t.add(len(p), false)
	n, err := c.Conn.Write(p)
	if n < len(p) {
		c.t.add(n-len(p), false)
	}
	return n, err
}
