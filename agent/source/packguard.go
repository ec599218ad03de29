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
	limit objectLimit
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

// packGuard passes a pack on to go-git's pack writer (inner) only after
// checkPack has read it, and refuses any object that unpacks to more than
// limit bytes. go-git unpacks objects whole in memory only after it has
// read the pack's closing checksum, so until checkPack has passed every
// object the guard holds back the last trailerSize bytes written. Each
// Write waits until checkPack has used up what it was given (it runs in
// its own goroutine, reading through a stepReader), so go-git never gets
// the checksum of a pack the check has not passed, whatever comes after
// it. (The check reads each object's declared size, and a delta's target
// size from the first bytes of the delta; go-git refuses objects that
// unpack to more than they declare.)
type packGuard struct {
	inner    io.WriteCloser
	steps    *stepReader
	finished chan struct{} // closed when checkPack has returned, err set
	err      error
	held     []byte // the last bytes written, not yet passed to inner
	passed   int64  // bytes passed to inner
}

func newPackGuard(inner io.WriteCloser, limit objectLimit) *packGuard {
	g := &packGuard{inner: inner, finished: make(chan struct{}),
		steps: &stepReader{chunks: make(chan []byte), used: make(chan struct{})}}
	go func() {
		err := checkPack(g.steps, limit.bytes)
		var large *tooLargeError
		if errors.As(err, &large) {
			large.flag = limit.flag
		} else if err != nil {
			err = fmt.Errorf("the fetched pack is cut short or malformed: %w", err)
		}
		g.err = err
		close(g.finished)
	}()
	return g
}

func (g *packGuard) done() bool {
	select {
	case <-g.finished:
		return true
	default:
		return false
	}
}

// Write gives p to the check and waits until the check has used it up (or
// is finished), then passes to inner all but the last trailerSize bytes
// written so far; everything, once the check has passed the whole pack.
func (g *packGuard) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !g.done() {
		select {
		case g.steps.chunks <- p:
			select {
			case <-g.steps.used:
			case <-g.finished:
			}
		case <-g.finished:
		}
	}
	if g.done() && g.err != nil {
		return 0, g.err
	}
	g.held = append(g.held, p...)
	pass := len(g.held) - trailerSize
	if g.done() {
		pass = len(g.held) // every object passed the check
	}
	if pass > 0 {
		n, err := g.inner.Write(g.held[:pass])
		g.passed += int64(n)
		if err != nil {
			return 0, err
		}
		g.held = append(g.held[:0], g.held[pass:]...)
	}
	return len(p), nil
}

// Close ends the check and waits for it. A pack it passed gets its last
// bytes and is stored by inner. A refused one (or one cut short) is
// spoiled with poison first: go-git's parser goes on to unpack every
// object when the checksum is missing at the end of the input, and fails
// before that when it is wrong. inner then fails, leaving its temporary
// file for the caller to remove (removeTempPacks).
func (g *packGuard) Close() error {
	if !g.done() {
		close(g.steps.chunks) // the check is waiting for the next chunk
	}
	<-g.finished
	switch {
	case g.passed == 0 && len(g.held) == 0:
		// Nothing came: go-git removes its empty file.
		return g.inner.Close()
	case g.err != nil:
		g.inner.Write(poison)
		g.inner.Close()
		return g.err
	}
	if _, err := g.inner.Write(g.held); err != nil {
		g.inner.Write(poison)
		g.inner.Close()
		return err
	}
	return g.inner.Close()
}

// stepReader hands checkPack the chunks Write gives it, and tells Write
// (on used) each time checkPack has used a chunk up and asks for more.
type stepReader struct {
	chunks  chan []byte
	used    chan struct{}
	cur     []byte
	started bool
	eof     bool
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		if r.started {
			r.used <- struct{}{}
		}
		r.started = true
		chunk, ok := <-r.chunks
		if !ok {
			r.eof = true
			return 0, io.EOF
		}
		r.cur = chunk
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
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
