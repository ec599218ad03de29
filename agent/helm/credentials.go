package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// HostsAnnotation, on a Secret a chart source names in spec.chart.secretRef,
// lists the hosts (host or host:port, comma-separated) its credentials may
// be sent to. Whoever can push to the repository chooses the Secret and
// the chart's URL; only whoever writes the Secret chooses where its
// credentials may go, so a push cannot send a Secret of the namespace to a
// host of its choosing.
const HostsAnnotation = "seal.dev/chart-hosts"

// ErrCredentials is what every unusable credentials Secret wraps.
var ErrCredentials = errors.New("chart credentials")

// Credentials authenticate to a chart repository or an OCI registry.
type Credentials struct {
	// Username and Password are sent with basic auth (or, to an OCI
	// registry, exchanged for a token as the registry asks); Token is a
	// bearer token. Exactly one of the two is set.
	Username, Password, Token string
	// Hosts are the hosts (as in a URL: host or host:port) the
	// credentials may be sent to.
	Hosts []string
	// Source names where they come from, for messages ("Secret ns/name").
	Source string
}

// CredentialsFromSecret reads chart credentials from the data of a Secret
// named name: keys username and password (basic auth), or token (a bearer
// token), and the hosts of its HostsAnnotation. Errors name the Secret,
// never a value.
func CredentialsFromSecret(name string, annotations map[string]string, data map[string][]byte) (*Credentials, error) {
	c := &Credentials{Source: "Secret " + name}
	for h := range strings.SplitSeq(annotations[HostsAnnotation], ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			c.Hosts = append(c.Hosts, h)
		}
	}
	if len(c.Hosts) == 0 {
		return nil, fmt.Errorf("%w: %s has no annotation %s: annotate it with the hosts its credentials may be sent to (kubectl annotate secret NAME %s=registry.example.com)", ErrCredentials, c.Source, HostsAnnotation, HostsAnnotation)
	}
	user, pass, token := string(data["username"]), string(data["password"]), string(data["token"])
	switch {
	case token != "" && (user != "" || pass != ""):
		return nil, fmt.Errorf("%w: %s holds both token and username/password: keep one", ErrCredentials, c.Source)
	case token != "":
		c.Token = token
	case user != "" && pass != "":
		c.Username, c.Password = user, pass
	default:
		return nil, fmt.Errorf("%w: %s holds neither username and password nor token", ErrCredentials, c.Source)
	}
	return c, nil
}

// allows reports whether the credentials may be sent to host (host or
// host:port, as in a URL).
func (c *Credentials) allows(host string) bool {
	return c != nil && slices.Contains(c.Hosts, strings.ToLower(host))
}

// check refuses credentials for a chart source on host reached over plain
// HTTP, or on a host the Secret does not name.
func (c *Credentials) check(host string, plainHTTP bool) error {
	if c == nil {
		return nil
	}
	if plainHTTP {
		return fmt.Errorf("%w: %s: credentials are never sent over plain HTTP; reach %s over HTTPS", ErrCredentials, c.Source, host)
	}
	if !c.allows(host) {
		return fmt.Errorf("%w: %s is not for host %s (its annotation %s names %s): annotate the Secret with the host if its credentials are meant for it", ErrCredentials, c.Source, host, HostsAnnotation, strings.Join(c.Hosts, ", "))
	}
	return nil
}

// authorize sets the credentials on req when they may go to its host over
// HTTPS.
func (c *Credentials) authorize(req *http.Request) {
	if c == nil || req.URL.Scheme != "https" || !c.allows(req.URL.Host) {
		return
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
		return
	}
	req.SetBasicAuth(c.Username, c.Password)
}

// guard is the transport of one chart download. It sends an Authorization
// header only over HTTPS to a host the credentials name (whatever set it:
// a redirect or a registry's token exchange included), ties every request
// to the download's context (Helm's registry client uses its own), and
// fails a download that reads more than its budget of response bytes.
type guard struct {
	base   http.RoundTripper
	creds  *Credentials
	ctx    context.Context // every request's context
	budget *budget         // nil: no cap
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if g.ctx != nil {
		req = req.WithContext(g.ctx)
	}
	if req.Header.Get("Authorization") != "" && (req.URL.Scheme != "https" || !g.creds.allows(req.URL.Host)) {
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil || g.budget == nil {
		return resp, err
	}
	if resp.ContentLength > g.budget.left() {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s answers %d bytes, over the limit of %d", ErrTooLarge, req.URL.Host, resp.ContentLength, g.budget.max)
	}
	resp.Body = &capped{ReadCloser: resp.Body, b: g.budget, host: req.URL.Host}
	return resp, nil
}

// ErrTooLarge: a chart source answered more than a download may read.
var ErrTooLarge = errors.New("chart download too large")

// budget is how many response bytes one download may still read.
type budget struct {
	mu   sync.Mutex
	max  int64
	used int64
}

func newBudget(max int64) *budget { return &budget{max: max} }

func (b *budget) left() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.max - b.used
}

// take counts n bytes read and reports whether they fit.
func (b *budget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used += int64(n)
	return b.used <= b.max
}

// capped is a response body that fails once its download's budget is
// spent.
type capped struct {
	io.ReadCloser
	b    *budget
	host string
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if !c.b.take(n) {
		return 0, fmt.Errorf("%w: %s answered more than %d bytes", ErrTooLarge, c.host, c.b.max)
	}
	return n, err
}
