package source

import (
	"errors"
	"io/fs"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Open opens name, following symbolic links that stay inside the tree.
func (t *treeFS) Open(name string) (fs.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	fi, err := t.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if n.isDir() {
		list, err := t.entries(n)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{info: fi, entries: list, path: name}, nil
	}
	return &blobFile{fs: t, info: fi, hash: n.hash, path: name}, nil
}

// Stat describes name, following symbolic links.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) { return t.stat("stat", name, true) }

// Lstat describes name without following a final symbolic link.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) { return t.stat("lstat", name, false) }

func (t *treeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve(op, name, follow)
	if err != nil {
		return nil, err
	}
	fi, err := t.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return fi, nil
}

// ReadLink returns the target of the symbolic link name as written in the
// tree, wherever it points.
func (t *treeFS) ReadLink(name string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: errors.New("not a symbolic link")}
	}
	target, err := t.linkTarget(n.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return target, nil
}

// ReadDir lists the directory name, sorted by file name.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	list, err := t.entries(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return list, nil
}

// ReadFile reads the whole file name, following symbolic links. Callers
// that cap sizes Stat first: the size comes without reading.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errNotRegular}
	}
	data, err := t.readFile(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return data, nil
}

// ContentID returns the ContentID of the BlobID of the file name,
// following symbolic links, without reading the blob or its size: what
// Stat(name).Sys() tells, for a renderer that only needs to know whether
// a file changed.
func (t *treeFS) ContentID(name string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.resolve("stat", name, true)
	if err != nil {
		return "", err
	}
	if n.isDir() {
		return "", &fs.PathError{Op: "stat", Path: name, Err: errNotRegular}
	}
	return BlobID(n.hash).ContentID(), nil
}
