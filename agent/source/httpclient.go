package source

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// transportCacheEntries bounds go-git's cache of HTTP transports, one per
// distinct CA bundle (or client certificate or proxy) in use.
const transportCacheEntries = 128

var installHTTPClient sync.Once

// shareHTTPTransports makes go-git keep one HTTP transport, with its pool
// of kept-alive connections, per CA bundle. Its default client builds a new
// transport for every fetch given a CA bundle, so each poll of a host with
// a private CA paid a new connection and TLS handshake and left the old
// connection idle. go-git has no per-fetch client: its protocol registry is
// process-wide, hence the Once; what is installed is go-git's own client
// with its own cache, redirect policy unchanged.
func shareHTTPTransports() {
	installHTTPClient.Do(func() {
		c := githttp.NewClientWithOptions(nil, &githttp.ClientOptions{CacheMaxEntries: transportCacheEntries})
		client.InstallProtocol("https", c)
		client.InstallProtocol("http", c)
	})
}
