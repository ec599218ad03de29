package source

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// transportCacheEntries bounds go-git's cache of HTTP transports, one per
// distinct CA bundle (or client certificate or proxy) in use.
const transportCacheEntries = 128

var installTransports sync.Once

// installCappedTransports installs, once per process, go-git's HTTP(S)
// and SSH transports wrapped in cappedTransport, so that each fetch's
// MaxFetchSize (carried in its context) bounds the pack it reads. go-git
// has no per-fetch transport: its protocol registry is process-wide,
// hence the Once.
//
// The HTTP client keeps one transport, with its pool of kept-alive
// connections, per CA bundle. go-git's default client builds a new
// transport for every fetch given a CA bundle, so each poll of a host
// with a private CA paid a new connection and TLS handshake and left the
// old connection idle. What is installed is go-git's own client with its
// own cache, redirect policy unchanged; for SSH, go-git's default client.
func installCappedTransports() {
	installTransports.Do(func() {
		c := cappedTransport{githttp.NewClientWithOptions(nil, &githttp.ClientOptions{CacheMaxEntries: transportCacheEntries})}
		client.InstallProtocol("https", c)
		client.InstallProtocol("http", c)
		client.InstallProtocol("ssh", cappedTransport{gitssh.DefaultClient})
	})
}
