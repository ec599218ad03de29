package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// remote is a checked repository URL.
type remote struct {
	url     string // as given
	display string // without userinfo, for messages
	ep      *transport.Endpoint
}

func parseRemote(rawURL string) (remote, error) {
	display := displayURL(rawURL)
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return remote{}, &fetchError{msg: display + ": not a Git URL", kind: ErrInvalidURL}
	}
	switch {
	case ep.Protocol != "https" && ep.Protocol != "http" && ep.Protocol != "ssh":
		return remote{}, &fetchError{msg: display + ": unsupported URL: use https://, http://, ssh:// or git@host:path", kind: ErrInvalidURL}
	case ep.Password != "":
		return remote{}, &fetchError{msg: display + ": the URL must not contain a password: put credentials in the Secret", kind: ErrInvalidURL}
	case ep.Host == "":
		return remote{}, &fetchError{msg: display + ": the URL has no host", kind: ErrInvalidURL}
	}
	return remote{url: rawURL, display: display, ep: ep}, nil
}

func (r remote) isSSH() bool { return r.ep.Protocol == "ssh" }

// connection is how to reach one remote: the go-git auth method, the extra
// CA bundle, and for SSH a check that the server answers, knows us and is
// who known_hosts says it is.
type connection struct {
	method    transport.AuthMethod
	ca        []byte
	preflight func(context.Context) error
	// maxFetchSize bounds each pack fetched (Options.MaxFetchSize).
	maxFetchSize int64
	// objectLimit bounds each object in it: the smaller of
	// Options.MaxObjectSize and MaxFetchSize, and the flag that set it.
	objectLimit objectLimit
}

// objectLimit is the largest object a fetch may unpack, and the agent
// flag that sets it (for the error).
type objectLimit struct {
	bytes int64
	flag  string
}

// objectLimitOf is the smaller of o's two caps on an object.
func objectLimitOf(o Options) objectLimit {
	if o.MaxFetchSize < o.MaxObjectSize {
		return objectLimit{o.MaxFetchSize, "--max-fetch-size"}
	}
	return objectLimit{o.MaxObjectSize, "--max-object-size"}
}

// connect prepares a's credentials for r. deadline bounds SSH dials;
// scratch is a writable directory for parsing known_hosts.
func (a Auth) connect(r remote, deadline time.Time, scratch string) (connection, error) {
	if !r.isSSH() {
		if len(a.SSHKey) > 0 {
			return connection{}, &fetchError{msg: r.display + ": the Secret holds an SSH identity but the URL is " + r.ep.Protocol + ": use an ssh:// or git@host:path URL, or HTTPS credentials", kind: ErrInvalidSecret}
		}
		c := connection{ca: a.CA}
		switch {
		case a.BearerToken != "":
			c.method = &githttp.TokenAuth{Token: a.BearerToken}
		case a.Username != "" || a.Password != "":
			c.method = &githttp.BasicAuth{Username: a.Username, Password: a.Password}
		}
		return c, nil
	}
	if len(a.SSHKey) == 0 || len(a.KnownHosts) == 0 {
		return connection{}, &fetchError{msg: r.display + ": SSH needs \"identity\" and \"known_hosts\" in the credentials Secret", kind: ErrInvalidSecret}
	}
	signer, err := parseIdentity(a.SSHKey)
	if err != nil {
		return connection{}, &fetchError{msg: r.display + ": identity: " + err.Error(), kind: ErrInvalidSecret}
	}
	if err := checkKnownHosts(a.KnownHosts); err != nil {
		return connection{}, &fetchError{msg: r.display + ": known_hosts: " + err.Error(), kind: ErrInvalidSecret}
	}
	db, err := knownHostsDB(a.KnownHosts, scratch)
	if err != nil {
		return connection{}, &fetchError{msg: r.display + ": reading known_hosts: " + err.Error(), cause: err}
	}
	port := r.ep.Port
	if port <= 0 {
		port = 22
	}
	addr := net.JoinHostPort(r.ep.Host, strconv.Itoa(port))
	user := r.ep.User
	if user == "" {
		user = "git"
	}
	config := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   db.HostKeyCallback(),
		HostKeyAlgorithms: db.HostKeyAlgorithms(addr),
	}
	if !deadline.IsZero() {
		config.Timeout = max(time.Until(deadline), time.Millisecond)
	}
	return connection{
		method:    &sshAuth{user: user, config: config},
		preflight: func(ctx context.Context) error { return sshPreflight(ctx, r.display, addr, config) },
	}, nil
}

// knownHostsDB parses known_hosts data. The parser reads only files, so the
// (public) host keys go through a temporary file in dir, removed at once.
// dir is the cache directory: writable even on a read-only root file
// system.
func knownHostsDB(data []byte, dir string) (*knownhosts.HostKeyDB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".known_hosts-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	db, err := knownhosts.NewDB(f.Name())
	if err != nil {
		return nil, errors.New("does not parse as known_hosts")
	}
	return db, nil
}

// sshAuth gives go-git a complete client configuration: our host key
// check and algorithms, never the SSH agent or ~/.ssh/known_hosts.
type sshAuth struct {
	user   string
	config *ssh.ClientConfig
}

func (a *sshAuth) Name() string   { return "ssh-public-keys" }
func (a *sshAuth) String() string { return "user: " + a.user + ", name: ssh-public-keys" }

func (a *sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	c := *a.config
	return &c, nil
}

// sshPreflight dials and completes an SSH handshake (host key check and
// authentication) under ctx, then hangs up. go-git's own SSH handshake
// does not watch a context, so this is what makes an unresponsive server
// fail in time; it also tells a host-key refusal from a refused key.
func sshPreflight(ctx context.Context, display, addr string, config *ssh.ClientConfig) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return describe(ctx, err, display)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	hostChecked := false
	c := *config
	c.HostKeyCallback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if err := config.HostKeyCallback(hostname, remote, key); err != nil {
			return err
		}
		hostChecked = true
		return nil
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, &c)
	if err != nil {
		conn.Close()
		if ctx.Err() == nil && hostChecked && strings.Contains(err.Error(), "unable to authenticate") {
			return &fetchError{msg: display + ": the SSH server refused the identity: check that its public key is a deploy key of this repository", kind: ErrAuthentication, cause: err}
		}
		return describe(ctx, fmt.Errorf("ssh handshake with %s: %w", addr, err), display)
	}
	return ssh.NewClient(sc, chans, reqs).Close()
}
