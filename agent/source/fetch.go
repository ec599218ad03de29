package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// Revision is one fetched commit.
type Revision struct {
	// SHA is the commit's full SHA-1.
	SHA string
	// FS is the commit's tree, read-only, served from git objects. It
	// implements fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and fs.ReadLinkFS,
	// is safe for concurrent use, and stays readable until the next Fetch
	// with the same key.
	FS fs.FS
	// Commit is the commit object, for checking its signature.
	Commit *object.Commit
	// Author is the commit author's name (not the email: the status and
	// alerts that show it need no address to contact).
	Author string
	// Subject is the first line of the commit message, at most
	// MaxSubject bytes.
	Subject string
	// Time is when the commit was made (the committer's time).
	Time time.Time
}

// MaxSubject bounds Revision.Subject.
const MaxSubject = 120

// Fetcher fetches revisions into a cache directory holding one bare
// repository per key. Fetches of different keys run in parallel; fetches
// of the same key wait for each other.
type Fetcher struct {
	dir    string
	opts   Options
	checks packChecks

	mu    sync.Mutex
	locks map[string]chan struct{}
	last  map[string]*treeFS // each key's latest FS, released by the next Fetch
}

// NewFetcher returns a Fetcher caching repositories under dir, which is
// created when missing and kept between runs, and fetching within opts.
func NewFetcher(dir string, opts Options) *Fetcher {
	installCappedTransports()
	return &Fetcher{dir: dir, opts: opts.withDefaults(), checks: packChecks{ok: map[string]bool{}},
		locks: map[string]chan struct{}{}, last: map[string]*treeFS{}}
}

// Fetch brings the cached repository for key up to date with ref at url
// (fetching only what is missing) and returns the resolved commit. key
// names the cache entry, for example "<namespace>/<name>"; a key whose URL
// changes starts over. A damaged cache entry is removed and fetched again.
// A fetch over Options.MaxFetchSize fails with ErrFetchTooLarge and leaves
// the cache entry as it was.
func (f *Fetcher) Fetch(ctx context.Context, key, url string, ref Ref, auth Auth) (*Revision, error) {
	r, err := parseRemote(url)
	if err != nil {
		return nil, err
	}
	ref, err = ref.normalize()
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	c, err := auth.connect(r, deadline, f.dir)
	if err != nil {
		return nil, err
	}
	c.maxFetchSize, c.objectLimit = f.opts.MaxFetchSize, objectLimitOf(f.opts)
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return nil, describe(ctx, err, r.display)
	}
	defer unlock()
	f.release(key)

	dir := f.repoDir(key)
	sha, t, err := fetchInto(ctx, dir, &f.checks, r, ref, c)
	if err != nil && ctx.Err() == nil && !isRemote(err) {
		// Anything but the server, the network or the ref failing may be
		// a damaged cache: start over once.
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return nil, fmt.Errorf("%s: removing the damaged cache %s: %w", r.display, dir, rmErr)
		}
		sha, t, err = fetchInto(ctx, dir, &f.checks, r, ref, c)
	}
	if err != nil {
		return nil, describe(ctx, err, r.display, auth.Password, auth.BearerToken)
	}
	f.mu.Lock()
	f.last[key] = t
	f.mu.Unlock()
	rev := &Revision{SHA: sha, FS: t, Commit: t.commit}
	if c := t.commit; c != nil {
		rev.Author, rev.Subject, rev.Time = c.Author.Name, Subject(c.Message, MaxSubject), c.Committer.When
	}
	return rev, nil
}

// Remove deletes the cached repository of key, waiting for a fetch of the
// same key to finish first.
func (f *Fetcher) Remove(ctx context.Context, key string) error {
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return fmt.Errorf("removing the git cache of %q: %w", key, err)
	}
	defer unlock()
	f.release(key)
	if err := os.RemoveAll(f.repoDir(key)); err != nil {
		return fmt.Errorf("removing the git cache of %q: %w", key, err)
	}
	return nil
}

// release lets go of the files key's previous FS holds open. The caller
// holds key's lock.
func (f *Fetcher) release(key string) {
	f.mu.Lock()
	t := f.last[key]
	delete(f.last, key)
	f.mu.Unlock()
	if t != nil {
		t.release()
	}
}

// lock takes key's lock, or gives up when ctx ends.
func (f *Fetcher) lock(ctx context.Context, key string) (func(), error) {
	f.mu.Lock()
	ch, ok := f.locks[key]
	if !ok {
		ch = make(chan struct{}, 1)
		f.locks[key] = ch
	}
	f.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another fetch of %q: %w", key, ctx.Err())
	}
}

// repoDir is key's directory: the key made safe for a file name, plus a
// hash so that different keys never share one.
func (f *Fetcher) repoDir(key string) string {
	sum := sha256.Sum256([]byte(key))
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, key)
	if len(safe) > 64 {
		safe = safe[:64]
	}
	return filepath.Join(f.dir, safe+"-"+hex.EncodeToString(sum[:6]))
}

// Subject is the first line of a commit message, trimmed, cut to at most
// max bytes on a rune boundary ("…" marks a cut).
func Subject(message string, max int) string {
	line, _, _ := strings.Cut(strings.TrimLeft(message, "\r\n\t "), "\n")
	line = strings.TrimSpace(line)
	if len(line) <= max {
		return line
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return line[:cut] + "…"
}
