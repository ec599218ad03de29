package source

import (
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// readFile reads a blob node whole. The caller holds t.mu.
func (t *treeFS) readFile(n node) ([]byte, error) {
	b, err := object.GetBlob(t.s, n.hash)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", n.hash, err)
	}
	return readBlob(b)
}

type fileInfo struct {
	name  string
	mode  fs.FileMode
	size  int64
	mtime time.Time
	blob  plumbing.Hash // zero for a directory
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.mtime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }

// Sys is, for a file or link, its BlobID; nil for a directory.
func (fi *fileInfo) Sys() any {
	if fi.blob.IsZero() {
		return nil
	}
	return BlobID(fi.blob)
}

// BlobID is what the Sys method of a Revision.FS file's fs.FileInfo
// returns: the git blob hash of its content, so a reader can tell an
// unchanged file without reading it.
type BlobID plumbing.Hash

// ContentID is "git-blob:" and the blob's hex hash.
func (b BlobID) ContentID() string { return "git-blob:" + plumbing.Hash(b).String() }

// dirEntry is one entry of a listing; Info describes the entry itself (a
// link, not its target), like os.DirEntry.
type dirEntry struct {
	fs   *treeFS
	node node
}

func (e *dirEntry) Name() string { return e.node.name }
func (e *dirEntry) IsDir() bool  { return e.node.isDir() }
func (e *dirEntry) Type() fs.FileMode {
	switch {
	case e.node.isDir():
		return fs.ModeDir
	case e.node.mode == filemode.Symlink:
		return fs.ModeSymlink
	}
	return 0
}
func (e *dirEntry) String() string { return fs.FormatDirEntry(e) }

func (e *dirEntry) Info() (fs.FileInfo, error) {
	e.fs.mu.Lock()
	defer e.fs.mu.Unlock()
	return e.fs.info(e.node)
}

func sortEntries(list []fs.DirEntry) {
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}

// dirFile is an open directory.
type dirFile struct {
	info    *fileInfo
	entries []fs.DirEntry
	path    string
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errNotRegular}
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.path, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end; n <= 0 returns all that are left.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: fs.ErrClosed}
	}
	if n <= 0 {
		list := d.entries
		d.entries = nil
		return list, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	list := d.entries[:n:n]
	d.entries = d.entries[n:]
	return list, nil
}

// blobFile is an open file; its content is read from git on first Read.
type blobFile struct {
	fs     *treeFS
	info   *fileInfo
	hash   plumbing.Hash
	path   string
	r      io.ReadCloser
	closed bool
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *blobFile) Read(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "read", Path: f.path, Err: fs.ErrClosed}
	}
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.r == nil {
		b, err := object.GetBlob(f.fs.s, f.hash)
		if err == nil {
			f.r, err = b.Reader()
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: fmt.Errorf("reading blob %s: %w", f.hash, err)}
		}
	}
	return f.r.Read(p)
}

func (f *blobFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.path, Err: fs.ErrClosed}
	}
	f.closed = true
	if f.r != nil {
		return f.r.Close()
	}
	return nil
}
