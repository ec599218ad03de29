package source

import (
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// tooLargeError is a fetch stopped for its size: the pack stream passed
// limit bytes, or (object > 0) one object in it unpacks to object bytes.
type tooLargeError struct {
	limit  int64
	object int64
	flag   string // the flag that set limit; "" is --max-fetch-size
}

func (e *tooLargeError) Error() string {
	flag := e.flag
	if flag == "" {
		flag = "--max-fetch-size"
	}
	limit := fmt.Sprintf("the agent's limit of %s (%s=%d)", size(e.limit), flag, e.limit)
	if e.object > 0 {
		return fmt.Sprintf("an object in the fetched pack unpacks to %s, over %s: remove the large file from the branch and its history, or raise %s", size(e.object), limit, flag)
	}
	return fmt.Sprintf("the fetch downloaded more than %s and was stopped: shrink the repository or its history (large files, long history), or raise --max-fetch-size", limit)
}

// Is makes errors.Is(err, ErrFetchTooLarge) true.
func (e *tooLargeError) Is(target error) bool { return target == ErrFetchTooLarge }

// size is n in a unit a person reads at a glance.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetchLimitKey carries a fetch's MaxFetchSize in its context down to the
// transport, which go-git shares between all fetches of the process.
type fetchLimitKey struct{}

func withFetchLimit(ctx context.Context, limit int64) context.Context {
	return context.WithValue(ctx, fetchLimitKey{}, limit)
}

// cappedTransport counts the bytes of each upload-pack response (the pack
// and its side-band framing, after the negotiation lines) that inner reads
// from the server, and fails the read past the limit in the request's
// context. The ref advertisement is not counted. Requests without a
// limit pass as they are.
type cappedTransport struct{ inner transport.Transport }

func (t cappedTransport) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	s, err := t.inner.NewUploadPackSession(ep, auth)
	if err != nil {
		return nil, err
	}
	return cappedSession{s}, nil
}

func (t cappedTransport) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	return t.inner.NewReceivePackSession(ep, auth)
}

type cappedSession struct{ transport.UploadPackSession }

func (s cappedSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	resp, err := s.UploadPackSession.UploadPack(ctx, req)
	limit, ok := ctx.Value(fetchLimitKey{}).(int64)
	if err != nil || !ok {
		return resp, err
	}
	// The response reads the pack from what it decoded the negotiation
	// from; read it through a counter instead.
	capped := packp.NewUploadPackResponseWithPackfile(req, &capReader{r: resp, limit: limit})
	capped.ShallowUpdate, capped.ServerResponse = resp.ShallowUpdate, resp.ServerResponse
	return capped, nil
}

// capReader reads at most limit bytes from r; reading more fails with a
// tooLargeError.
type capReader struct {
	r     io.ReadCloser
	n     int64
	limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		return 0, &tooLargeError{limit: c.limit}
	}
	if room := c.limit - c.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the limit tells it was passed
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		return n - int(c.n-c.limit), &tooLargeError{limit: c.limit}
	}
	return n, err
}

func (c *capReader) Close() error { return c.r.Close() }
