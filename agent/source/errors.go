package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Sentinel errors callers branch on (with errors.Is). Fetch errors wrap one
// of them when the cause is known, and always say what to do in words.
var (
	// ErrInvalidSecret: the credentials Secret lacks a key or holds a
	// malformed one. Retrying will not help until the Secret changes.
	ErrInvalidSecret = errors.New("invalid credentials Secret")
	// ErrInvalidURL: the URL is malformed, unsupported, or embeds a
	// password.
	ErrInvalidURL = errors.New("invalid repository URL")
	// ErrAuthentication: the server refused the credentials.
	ErrAuthentication = errors.New("authentication failed")
	// ErrHostKey: the SSH server's host key is unknown or does not match
	// known_hosts.
	ErrHostKey = errors.New("SSH host key not trusted")
	// ErrCertificate: the HTTPS server's certificate is not trusted.
	ErrCertificate = errors.New("TLS certificate not trusted")
	// ErrRepositoryNotFound: the server has no repository at the URL.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrRefNotFound: the branch, tag or commit is not in the repository.
	ErrRefNotFound = errors.New("ref not found")
	// ErrUnreachable: no connection to the server could be made.
	ErrUnreachable = errors.New("server unreachable")
	// ErrLinkOutsideTree: a symbolic link leads outside the repository
	// tree (absolute, or too many ".."), so the FS will not follow it.
	ErrLinkOutsideTree = errors.New("symbolic link leads outside the repository tree")
	// ErrNoSpace: the cache directory's file system is full.
	ErrNoSpace = errors.New("no space left in the git cache")
	// ErrFetchTooLarge: the pack the server sent passed
	// Options.MaxFetchSize, or an object in it unpacks to more than
	// that. Retrying fetches it again; the repository (or the limit) must
	// change.
	ErrFetchTooLarge = errors.New("fetch over the size limit")
)

// fetchError is what Fetch returns: a message in our own words (naming the
// URL without credentials), the sentinel kind and the underlying cause.
type fetchError struct {
	msg   string
	kind  error
	cause error
}

func (e *fetchError) Error() string { return e.msg }

func (e *fetchError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// errCache marks failures of the local cache; Fetch wipes the cache and
// tries once more when it sees one.
var errCache = errors.New("git cache unusable")

// describe turns an error from go-git or the network into a fetchError
// naming display (the URL without credentials). secrets are values that
// must never appear in the message.
func describe(ctx context.Context, err error, display string, secrets ...string) error {
	if err == nil {
		return nil
	}
	var fe *fetchError
	if errors.As(err, &fe) {
		return err
	}
	e := &fetchError{cause: err}
	var (
		keyErr  *knownhosts.KeyError
		unknown x509.UnknownAuthorityError
		verify  *tls.CertificateVerificationError
		hostErr x509.HostnameError
		opErr   *net.OpError
		dnsErr  *net.DNSError
		large   *tooLargeError
	)
	switch {
	case errors.As(err, &large):
		e.kind, e.msg = ErrFetchTooLarge, display+": "+large.Error()
	case ctx.Err() != nil:
		e.kind, e.msg = ctx.Err(), display+": fetch did not finish in time: "+ctx.Err().Error()
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		e.kind, e.msg = ErrAuthentication, display+": authentication failed: check the credentials in the Secret (username and password, or bearerToken) and that they may read this repository"
	case errors.As(err, &keyErr) && len(keyErr.Want) > 0:
		e.kind, e.msg = ErrHostKey, display+": the SSH host key does not match known_hosts: if the server's key really changed, update known_hosts in the Secret"
	case errors.As(err, &keyErr):
		e.kind, e.msg = ErrHostKey, display+": the SSH server's host is not in known_hosts: add its host key to known_hosts in the Secret"
	case errors.As(err, &unknown), errors.As(err, &verify), errors.As(err, &hostErr):
		e.kind, e.msg = ErrCertificate, display+": the server's TLS certificate is not trusted: put the CA that signed it in ca.crt in the Secret ("+certReason(err)+")"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		e.kind, e.msg = ErrRepositoryNotFound, display+": repository not found: check the URL, and that the credentials may see the repository"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		e.kind, e.msg = ErrRefNotFound, display+": the repository is empty: push a first commit"
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		e.kind, e.msg = ErrUnreachable, display+": cannot connect: "+err.Error()
	case isGarbledAnswer(err):
		e.msg = display + ": the server's answer is not the git protocol (a proxy or a login page in the way?): " + err.Error()
	case errors.Is(err, syscall.ENOSPC):
		e.kind, e.msg = ErrNoSpace, display+": the agent's data directory (--data-dir, where it caches repositories) is full: free space or give it a larger volume (the chart's cacheSizeLimit): "+err.Error()
	case errors.Is(err, errCache):
		e.kind, e.msg = errCache, display+": "+err.Error()
	default:
		e.msg = display + ": fetch failed: " + err.Error()
	}
	e.msg = scrub(e.msg, secrets...)
	return e
}

// certReason is the short reason a certificate was refused.
func certReason(err error) string {
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		return "it is not valid for this host name"
	}
	return "signed by an unknown authority"
}

// scrub replaces secret values that a third-party message might quote.
func scrub(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// isRemote reports whether err is about the server, the network, the
// credentials, the ref or the size of what the repository sends, rather
// than the local cache. Fetch starts the
// cache over after any other error, so a server's bad day must not count.
func isRemote(err error) bool {
	for _, kind := range []error{ErrAuthentication, ErrHostKey, ErrCertificate, ErrRepositoryNotFound,
		ErrRefNotFound, ErrUnreachable, ErrInvalidURL, ErrInvalidSecret, ErrInvalidRef, ErrFetchTooLarge,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, kind) {
			return true
		}
	}
	var (
		netErr     net.Error
		status     *githttp.Err
		unexpected *plumbing.UnexpectedError // does not unwrap
	)
	if errors.As(err, &unexpected) && errors.As(unexpected.Err, &status) {
		return true
	}
	return errors.Is(err, git.NoMatchingRefSpecError{}) || errors.As(err, &netErr) || errors.As(err, &status) ||
		isGarbledAnswer(err)
}

// isGarbledAnswer reports whether err is go-git failing to parse the
// server's pkt-lines or its ref advertisement: errors that only come off
// the wire (a proxy or portal answering HTML, say), never from reading the
// cache, so they must not cost the cache. Pack-file errors are left out:
// a damaged cache raises those too.
func isGarbledAnswer(err error) bool {
	var unexpectedData *packp.ErrUnexpectedData
	return errors.Is(err, pktline.ErrInvalidPktLen) || errors.Is(err, pktline.ErrInvalidErrorLine) ||
		errors.Is(err, packp.ErrEmptyAdvRefs) || errors.Is(err, packp.ErrEmptyInput) ||
		errors.As(err, &unexpectedData)
}

// displayURL is rawURL without userinfo, for messages. scp-like URLs
// (git@host:path) carry only a user name and are shown as they are.
func displayURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if i := strings.Index(rawURL, "://"); i >= 0 {
			if at := strings.LastIndex(rawURL, "@"); at > i {
				return rawURL[:i+3] + rawURL[at+1:]
			}
		}
		return rawURL
	}
	u.User = nil
	return u.String()
}
