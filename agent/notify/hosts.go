package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrHostRefused means a request carrying a credential would go to a host
// or an address the rules do not allow. Errors wrapping it say which rule
// and how to allow the host.
var ErrHostRefused = errors.New("outbound host refused")

// metadataAddresses are cloud instance-metadata endpoints outside the
// link-local ranges (the usual 169.254.169.254 is link-local already).
var metadataAddresses = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// AddressPolicy refuses connections to loopback, link-local (cloud
// metadata included), unspecified and multicast addresses and to
// well-known metadata endpoints, unless an address is in Allowed. It is
// checked on the address actually dialled, after DNS, so a name that
// resolves to a refused address is refused too.
type AddressPolicy struct {
	Allowed []netip.Prefix
}

// Check returns an error wrapping ErrHostRefused for a refused address.
func (p AddressPolicy) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	for _, pfx := range p.Allowed {
		if pfx.Contains(addr) {
			return nil
		}
	}
	var what string
	switch {
	case addr.IsLoopback():
		what = "a loopback address"
	case slices.Contains(metadataAddresses, addr) || addr == netip.MustParseAddr("169.254.169.254"):
		what = "a cloud metadata address"
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		what = "a link-local address"
	case addr.IsUnspecified():
		what = "an unspecified address"
	case addr.IsMulticast():
		what = "a multicast address"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s is %s: add it to the agent's --allowed-networks if it is meant", ErrHostRefused, addr, what)
}

// control is a net.Dialer Control hook enforcing p.
func (p AddressPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dialled address %q", ErrHostRefused, address)
	}
	return p.Check(ap.Addr())
}

// Client returns an HTTP client that dials only addresses p allows and
// never follows a redirect (a redirect would carry the token elsewhere).
func (p AddressPolicy) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.control}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a proxy would hide the address dialled
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ParseNetworks parses CIDR prefixes or single addresses, as the agent's
// --allowed-networks takes them.
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(s); err == nil {
			out = append(out, pfx.Masked())
			continue
		}
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("network %q: want a CIDR prefix such as 10.0.0.0/8 or an address", s)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}

// apiHostAllowed reports whether commit statuses for a repository on
// gitHost may go to apiHost: the git host itself, the API host of
// github.com or bitbucket.org, or a host the agent's allowed list names.
func apiHostAllowed(provider, gitHost, apiHost string, allowed []string) bool {
	gitHost, apiHost = strings.ToLower(gitHost), strings.ToLower(apiHost)
	switch {
	case apiHost == gitHost:
		return true
	case apiHost == publicAPIHost(provider, gitHost):
		return true
	}
	return slices.ContainsFunc(allowed, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), apiHost) })
}

// CheckAddresses resolves host (a name or an address) and returns an error
// wrapping ErrHostRefused when p refuses any of its addresses. A name that
// does not resolve is not refused here: the request that follows reports
// it.
func (p AddressPolicy) CheckAddresses(ctx context.Context, host string) error {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if addr, err := netip.ParseAddr(host); err == nil {
		return p.Check(addr)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := p.Check(a); err != nil {
			return fmt.Errorf("%s resolves to %w", host, err)
		}
	}
	return nil
}

// Check tells whether cfg is usable and its API host allowed, by the host
// rule and, after DNS, by cfg.Addresses, without sending anything.
func Check(ctx context.Context, cfg Config) error {
	if cfg.Token == "" {
		cfg.Token = "-" // only the hosts are checked here
	}
	n, err := New(cfg)
	if err != nil {
		return err
	}
	if err := cfg.Addresses.CheckAddresses(ctx, n.api.Hostname()); err != nil {
		return fmt.Errorf("commit status: API host: %w", err)
	}
	return nil
}
