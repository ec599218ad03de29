package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// guardedStorage is a cached repository's storage as a fetch writes to
// it: every pack goes through a packGuard.
type guardedStorage struct {
	*filesystem.Storage
	limit int64
}

// PackfileWriter is how go-git stores a fetched pack.
func (s *guardedStorage) PackfileWriter() (io.WriteCloser, error) {
	w, err := s.Storage.PackfileWriter()
	if err != nil {
		return nil, err
	}
	return newPackGuard(w, s.limit), nil
}

// trailerSize is the length of a pack's closing checksum.
const trailerSize = 20

// poison is written to go-git's pack writer after a refused pack, before
// closing it: it can complete no object and match no checksum. See Close.
var poison = bytes.Repeat([]byte{0xff}, trailerSize)

// packGuard passes a pack on to go-git's pack writer (inner) while
// checkPack reads the same bytes and refuses any object that unpacks to
// more than limit bytes. go-git unpacks objects whole in memory only
// after it has read the pack's closing checksum, so the guard holds back
// the last trailerSize bytes written until checkPack has passed the whole
// pack. (The check reads each object's declared size, and a delta's
// target size from the first bytes of the delta; go-git refuses objects
// that unpack to more than they declare.)
type packGuard struct {
	inner   io.WriteCloser
	check   *io.PipeWriter
	result  chan error
	held    []byte // the last bytes written, not yet passed to inner
	written int64
}

func newPackGuard(inner io.WriteCloser, limit int64) *packGuard {
	pr, pw := io.Pipe()
	g := &packGuard{inner: inner, check: pw, result: make(chan error, 1)}
	go func() {
		err := checkPack(pr, limit)
		var large *tooLargeError
		if err != nil && !errors.As(err, &large) {
			err = fmt.Errorf("the fetched pack is cut short or malformed: %w", err)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, pr)
		}
		pr.CloseWithError(err)
		g.result <- err
	}()
	return g
}

// Write passes p to the check, then to inner all but the last
// trailerSize bytes written so far.
func (g *packGuard) Write(p []byte) (int, error) {
	if _, err := g.check.Write(p); err != nil {
		return 0, err
	}
	g.written += int64(len(p))
	g.held = append(g.held, p...)
	if pass := len(g.held) - trailerSize; pass > 0 {
		if _, err := g.inner.Write(g.held[:pass]); err != nil {
			return 0, err
		}
		g.held = append(g.held[:0], g.held[pass:]...)
	}
	return len(p), nil
}

// Close waits for the check. A pack it passed gets its last bytes and is
// stored by inner. A refused one (or one cut short) is spoiled with
// poison first: go-git's parser goes on to unpack every object when the
// checksum is missing at the end of the input, and fails before that
// when it is wrong. inner then fails, leaving its temporary file for the
// caller to remove (removeTempPacks).
func (g *packGuard) Close() error {
	g.check.Close()
	err := <-g.result
	switch {
	case g.written == 0:
		// Nothing passed on (none came, or the check refused the first
		// bytes): go-git removes its empty file. The write's error, if
		// any, is what the fetch reports.
		return g.inner.Close()
	case err != nil:
		g.inner.Write(poison)
		g.inner.Close()
		return err
	}
	if _, err := g.inner.Write(g.held); err != nil {
		g.inner.Write(poison)
		g.inner.Close()
		return err
	}
	return g.inner.Close()
}

// checkPack reads a pack and fails with a tooLargeError on the first
// object that unpacks to more than limit bytes, or whose delta
// instructions alone are more than limit bytes.
func checkPack(r io.Reader, limit int64) error {
	s := packfile.NewScanner(r)
	_, count, err := s.Header()
	if err != nil {
		return err
	}
	for range count {
		h, err := s.NextObjectHeader()
		if err != nil {
			return err
		}
		if h.Length > limit {
			return &tooLargeError{limit: limit, object: h.Length}
		}
		var w io.Writer = io.Discard
		d := &deltaTarget{limit: limit}
		if h.Type.IsDelta() {
			w = d
		}
		if _, _, err := s.NextObject(w); err != nil {
			return err
		}
		if h.Type.IsDelta() && !d.done {
			return errBadDelta
		}
	}
	_, err = s.Checksum()
	return err
}

var errBadDelta = errors.New("a delta in the fetched pack has no valid header")

// deltaTarget reads a delta's header (the base's size, then the target's,
// as base-128 varints) from the start of the unpacked delta and refuses a
// target over limit. The rest is discarded.
type deltaTarget struct {
	limit int64
	head  []byte
	done  bool
}

func (d *deltaTarget) Write(p []byte) (int, error) {
	if d.done {
		return len(p), nil
	}
	d.head = append(d.head, p[:min(len(p), 2*binary.MaxVarintLen64-len(d.head))]...)
	_, n := binary.Uvarint(d.head)
	if n < 0 {
		return 0, errBadDelta
	}
	if n == 0 {
		if len(d.head) >= 2*binary.MaxVarintLen64 {
			return 0, errBadDelta
		}
		return len(p), nil
	}
	target, m := binary.Uvarint(d.head[n:])
	switch {
	case m < 0 || m == 0 && len(d.head) >= 2*binary.MaxVarintLen64:
		return 0, errBadDelta
	case m == 0:
		return len(p), nil
	case target > uint64(d.limit):
		return 0, &tooLargeError{limit: d.limit, object: int64(min(target, 1<<62))}
	}
	d.done = true
	return len(p), nil
}
