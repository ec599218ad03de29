package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/yaml"
)

// ErrRepository is what every failure to get a chart from a chart
// repository wraps.
var ErrRepository = errors.New("chart repository")

// MaxIndexSize caps a chart repository's index.yaml.
const MaxIndexSize = 32 << 20

// maxCached is how many chart archives a Fetcher keeps.
const maxCached = 64

// Fetcher downloads charts from HTTP(S) chart repositories and OCI
// registries and keeps the archives it downloaded, by digest, so that a
// chart whose index entry (or OCI manifest) names a digest already held is
// not downloaded again. It is safe for concurrent use.
type Fetcher struct {
	client *http.Client
	limits Limits

	mu        sync.Mutex
	cache     map[string][]byte // sha256 hex of the archive -> archive
	order     []string          // digests, oldest first
	manifests map[string]string // OCI manifest digest -> sha256 hex of its chart archive
}

// NewFetcher returns a Fetcher that uses client (http.DefaultClient when
// nil) within lim.
func NewFetcher(client *http.Client, lim Limits) *Fetcher {
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	return &Fetcher{client: client, limits: lim.orDefault(), cache: map[string][]byte{}, manifests: map[string]string{}}
}

// Fetch returns the archive of chart ref.Name at exactly ref.Version from
// the chart repository or OCI registry ref.Repository, and its sha256
// digest (hex). When the index names a digest, the archive must match it.
// creds, when not nil, are sent over HTTPS to the hosts they name only;
// a chart source on another host, or over plain HTTP, is refused with
// them.
func (f *Fetcher) Fetch(ctx context.Context, ref ChartRef, creds *Credentials) (archive []byte, digest string, err error) {
	if ref.IsOCI() {
		return f.fetchOCI(ctx, ref, creds)
	}
	base, err := url.Parse(strings.TrimSuffix(ref.Repository, "/") + "/")
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") || base.User != nil {
		return nil, "", fmt.Errorf("%w %s: not an http(s) URL without credentials", ErrRepository, shownURL(ref.Repository))
	}
	repoName := shownURL(ref.Repository)
	if err := creds.check(base.Host, base.Scheme != "https"); err != nil {
		return nil, "", fmt.Errorf("%w %s: %w", ErrRepository, repoName, err)
	}
	data, err := f.get(ctx, base.JoinPath("index.yaml"), MaxIndexSize, creds)
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: reading index.yaml: %w", ErrRepository, repoName, err)
	}
	var idx indexFile
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, "", fmt.Errorf("%w %s: index.yaml is not a chart repository index", ErrRepository, repoName)
	}
	versions, ok := idx.Entries[ref.Name]
	if !ok {
		return nil, "", fmt.Errorf("%w %s: no chart %q in index.yaml: check spec.chart.name", ErrRepository, repoName, ref.Name)
	}
	var cv *indexEntry
	for _, v := range versions {
		if v != nil && v.Version == ref.Version {
			cv = v
			break
		}
	}
	if cv == nil || len(cv.URLs) == 0 {
		return nil, "", fmt.Errorf("%w %s: chart %s has no version %s in index.yaml: check spec.chart.version", ErrRepository, repoName, ref.Name, ref.Version)
	}
	want := strings.ToLower(strings.TrimPrefix(cv.Digest, "sha256:"))
	if want != "" {
		if a := f.cached(want); a != nil {
			return a, want, nil
		}
	}
	u, err := base.Parse(cv.URLs[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return nil, "", fmt.Errorf("%w %s: chart %s %s: its URL in index.yaml is not an http(s) URL without credentials", ErrRepository, repoName, ref.Name, ref.Version)
	}
	if u.Host != base.Host {
		// Credentials go only to the repository's host; a chart
		// elsewhere is refused rather than fetched without them.
		return nil, "", fmt.Errorf("%w %s: chart %s %s is on another host (%s); Seal fetches charts from the repository's host only", ErrRepository, repoName, ref.Name, ref.Version, u.Host)
	}
	archive, err = f.get(ctx, u, f.limits.MaxArchiveSize, creds)
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: downloading chart %s %s: %w", ErrRepository, repoName, ref.Name, ref.Version, err)
	}
	sum := sha256.Sum256(archive)
	digest = hex.EncodeToString(sum[:])
	if want != "" && want != digest {
		return nil, "", fmt.Errorf("%w %s: chart %s %s: the archive's digest sha256:%s is not the sha256:%s its index entry names", ErrRepository, repoName, ref.Name, ref.Version, digest, want)
	}
	f.keep(digest, archive)
	return archive, digest, nil
}

// get reads u, at most max bytes, sending creds when they are for u's
// host and u is HTTPS. The client follows no redirect.
func (f *Fetcher) get(ctx context.Context, u *url.URL, max int64, creds *Credentials) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	creds.authorize(req)
	// The guard drops the credentials on any request to another host,
	// whatever client the Fetcher was given; redirects are not followed.
	hc := f.downloadClient(ctx, creds, nil, func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named by the caller
		}
		return nil, fmt.Errorf("the repository is unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", shownURL(u.String()), resp.Status)
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", shownURL(u.String()), resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", shownURL(u.String()), err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", shownURL(u.String()), max)
	}
	return b, nil
}

// downloadClient is the HTTP client of one download: the Fetcher's
// transport (the agent's address rules) under a guard that sends creds
// only to their hosts over HTTPS, ties requests to ctx when not nil and
// caps the bytes read by b when not nil.
func (f *Fetcher) downloadClient(ctx context.Context, creds *Credentials, b *budget, redirect func(*http.Request, []*http.Request) error) *http.Client {
	base := f.client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &http.Client{
		Transport:     &guard{base: base, creds: creds, ctx: ctx, budget: b},
		Timeout:       f.client.Timeout,
		CheckRedirect: redirect,
	}
}

// manifest returns the archive digest of the chart an OCI manifest holds,
// when that manifest was pulled before.
func (f *Fetcher) manifest(digest string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.manifests[digest]
	return d, ok
}

func (f *Fetcher) keepManifest(manifest, archive string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.manifests) >= 4*maxCached {
		clear(f.manifests) // small strings; the archives are capped by keep
	}
	f.manifests[manifest] = archive
}

func (f *Fetcher) cached(digest string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cache[digest]
}

func (f *Fetcher) keep(digest string, archive []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cache[digest]; ok {
		return
	}
	if len(f.order) == maxCached {
		delete(f.cache, f.order[0])
		f.order = f.order[1:]
	}
	f.cache[digest] = archive
	f.order = append(f.order, digest)
}

// shownURL is a URL for messages: without user information, query or
// fragment, and cut to a readable length.
func shownURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	out := u.String()
	if len(out) > 200 {
		out = out[:200] + "..."
	}
	return out
}
