package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/registry"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// maxOCIMetadata is what an OCI download may read besides the chart
// archive: manifests, the chart's config, token answers.
const maxOCIMetadata = 4 << 20

// maxRedirects caps the redirects of one OCI request (registries send
// blob downloads to a storage host).
const maxRedirects = 5

// fetchOCI pulls chart ref.Name at ref.Version from the OCI registry
// repository ref.Repository with Helm's registry client, within the
// archive cap. A tag resolving to a manifest already pulled is not pulled
// again. The digest returned is the chart layer's: the sha256 of the
// archive, as for a chart repository.
func (f *Fetcher) fetchOCI(ctx context.Context, ref ChartRef, creds *Credentials) (archive []byte, digest string, err error) {
	repoName := shownURL(ref.Repository)
	raw := strings.TrimSuffix(strings.TrimPrefix(ref.Repository, OCIScheme), "/")
	u, err := url.Parse("https://" + raw)
	if err != nil || u.Host == "" || strings.ContainsAny(raw, "@?#") || u.Path != path.Clean("/"+u.Path) && u.Path != "" {
		return nil, "", fmt.Errorf("%w %s: not an oci://host/path registry repository", ErrRepository, repoName)
	}
	host := u.Host
	if err := creds.check(host, ref.PlainHTTP); err != nil {
		return nil, "", fmt.Errorf("%w %s: %w", ErrRepository, repoName, err)
	}
	client, err := f.registryClient(ctx, ref.PlainHTTP, creds)
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: %w", ErrRepository, repoName, err)
	}
	// Helm stores a version's "+" as "_" in the tag, as helm push does.
	target := raw + "/" + ref.Name + ":" + strings.ReplaceAll(ref.Version, "+", "_")
	what := fmt.Sprintf("chart %s %s", ref.Name, ref.Version)
	defer func() {
		if p := recover(); p != nil {
			archive, digest, err = nil, "", fmt.Errorf("%w %s: %s: Helm's registry client panicked (recovered)", ErrRepository, repoName, what)
		}
	}()
	desc, err := client.Resolve(target)
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: %s: %s", ErrRepository, repoName, what, registryProblem(err))
	}
	if d, ok := f.manifest(desc.Digest.String()); ok {
		if a := f.cached(d); a != nil {
			return a, d, nil
		}
	}
	res, err := client.Pull(target)
	if err != nil {
		return nil, "", fmt.Errorf("%w %s: %s: %s", ErrRepository, repoName, what, registryProblem(err))
	}
	archive = res.Chart.Data
	if int64(len(archive)) > f.limits.MaxArchiveSize {
		return nil, "", fmt.Errorf("%w %s: %s: the archive is %d bytes, over the limit of %d", ErrRepository, repoName, what, len(archive), f.limits.MaxArchiveSize)
	}
	sum := sha256.Sum256(archive)
	digest = hex.EncodeToString(sum[:])
	if res.Chart.Digest != "sha256:"+digest {
		return nil, "", fmt.Errorf("%w %s: %s: the archive's digest sha256:%s is not the %s its manifest names", ErrRepository, repoName, what, digest, res.Chart.Digest)
	}
	f.keep(digest, archive)
	f.keepManifest(res.Manifest.Digest, digest)
	return archive, digest, nil
}

// registryClient is Helm's registry client for one download: it dials
// through the Fetcher's transport (the agent's address rules), follows at
// most maxRedirects redirects and none from HTTPS to plain HTTP, sends
// creds only to their hosts over HTTPS (guard), reads within the archive
// cap, and never reads the agent's own Docker or Helm credential files.
func (f *Fetcher) registryClient(ctx context.Context, plainHTTP bool, creds *Credentials) (*registry.Client, error) {
	hc := f.downloadClient(ctx, creds, newBudget(f.limits.MaxArchiveSize+maxOCIMetadata), func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
			return fmt.Errorf("a redirect from HTTPS to plain HTTP (%s) refused", req.URL.Host)
		}
		return nil
	})
	authorizer := auth.Client{
		Client: hc,
		Credential: func(_ context.Context, hostport string) (auth.Credential, error) {
			if plainHTTP || !creds.allows(hostport) {
				return auth.EmptyCredential, nil
			}
			if creds.Token != "" {
				return auth.Credential{AccessToken: creds.Token}, nil
			}
			return auth.Credential{Username: creds.Username, Password: creds.Password}, nil
		},
	}
	opts := []registry.ClientOption{
		registry.ClientOptHTTPClient(hc),
		registry.ClientOptAuthorizer(authorizer),
		registry.ClientOptCredentialsFile(os.DevNull),
	}
	if plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}

// registryProblem says what went wrong talking to a registry, without
// anything the registry could put in front of a reader but its status.
func registryProblem(err error) string {
	var resp *errcode.ErrorResponse
	switch {
	case errors.Is(err, ErrTooLarge):
		return err.Error()
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return "the registry answered 401 Unauthorized (it asks for credentials): name a Secret holding them in spec.chart.secretRef"
	case errors.Is(err, errdef.ErrNotFound):
		return "not found in the registry: check spec.chart.name and spec.chart.version"
	case errors.As(err, &resp):
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Sprintf("the registry answered %d %s: give spec.chart.secretRef credentials it accepts", resp.StatusCode, http.StatusText(resp.StatusCode))
		case http.StatusNotFound:
			return "not found in the registry: check spec.chart.name and spec.chart.version"
		}
		return fmt.Sprintf("the registry answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "the registry is unreachable: " + err.Error()
	}
	return err.Error()
}
