package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

const (
	maxLinkHops   = 40   // like Linux's limit on nested symbolic links
	maxLinkTarget = 4096 // PATH_MAX: longer "link targets" are not links
)

var (
	errNotDir     = errors.New("not a directory")
	errNotRegular = errors.New("is a directory")
)

// treeFS serves one commit's tree from git objects. go-git's object
// storage is not safe for concurrent use, so every access to it holds mu.
type treeFS struct {
	mu     sync.Mutex
	s      storer.EncodedObjectStorer
	closer io.Closer // releases s's open pack files
	root   *object.Tree
	mtime  time.Time                      // the commit's time, for every entry
	commit *object.Commit                 // the commit whose tree this is
	trees  map[plumbing.Hash]*object.Tree // decoded directories, by hash
}

// release closes the pack files the FS holds open. The FS stays usable
// (it opens them again when read).
func (t *treeFS) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closer != nil {
		t.closer.Close()
	}
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// node is one resolved tree entry.
type node struct {
	name string // base name of the path asked for ("." for the root)
	mode filemode.FileMode
	hash plumbing.Hash
}

func (n node) isDir() bool { return n.mode == filemode.Dir || n.mode == filemode.Submodule }

// resolve finds name, following symbolic links on the way and, when
// follow is set, the last element too. Links are followed only while they
// stay inside the tree. The caller holds t.mu.
func (t *treeFS) resolve(op, name string, follow bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	base := path.Base(name)
	rest := name
	for hops := 0; ; hops++ {
		if hops > maxLinkHops {
			return node{}, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		n, next, err := t.walk(rest, follow)
		if err != nil {
			return node{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if next == "" {
			n.name = base
			return n, nil
		}
		rest = next
	}
}

// walk walks rest from the root. It returns the node found, or the path to
// walk next when it met a symbolic link to follow.
func (t *treeFS) walk(rest string, follow bool) (node, string, error) {
	if rest == "." {
		return node{name: ".", mode: filemode.Dir, hash: t.root.Hash}, "", nil
	}
	dir, dirPath := t.root, "."
	parts := strings.Split(rest, "/")
	for i, part := range parts {
		e, err := dir.FindEntry(part)
		if err != nil {
			return node{}, "", fs.ErrNotExist
		}
		last := i == len(parts)-1
		if e.Mode == filemode.Symlink && (!last || follow) {
			target, err := t.linkTarget(e.Hash)
			if err != nil {
				return node{}, "", err
			}
			next := path.Join(dirPath, target, strings.Join(parts[i+1:], "/"))
			if path.IsAbs(target) || next == ".." || strings.HasPrefix(next, "../") {
				return node{}, "", ErrLinkOutsideTree
			}
			return node{}, next, nil
		}
		if last {
			return node{name: part, mode: e.Mode, hash: e.Hash}, "", nil
		}
		switch e.Mode {
		case filemode.Dir:
		case filemode.Submodule:
			return node{}, "", fs.ErrNotExist // submodules are not fetched: an empty directory
		default:
			return node{}, "", errNotDir
		}
		if dir, err = t.tree(e.Hash); err != nil {
			return node{}, "", err
		}
		dirPath = path.Join(dirPath, part)
	}
	return node{}, "", fs.ErrNotExist // not reached: the loop returns on its last part
}

// tree decodes the directory h once. The caller holds t.mu.
func (t *treeFS) tree(h plumbing.Hash) (*object.Tree, error) {
	if tree, ok := t.trees[h]; ok {
		return tree, nil
	}
	tree, err := object.GetTree(t.s, h)
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", h, err)
	}
	if t.trees == nil {
		t.trees = map[plumbing.Hash]*object.Tree{}
	}
	t.trees[h] = tree
	return tree, nil
}

// linkTarget reads a symbolic link's target from its blob.
func (t *treeFS) linkTarget(h plumbing.Hash) (string, error) {
	b, err := object.GetBlob(t.s, h)
	if err != nil {
		return "", fmt.Errorf("reading link %s: %w", h, err)
	}
	if b.Size > maxLinkTarget {
		return "", errors.New("symbolic link target too long")
	}
	data, err := readBlob(b)
	return string(data), err
}

func readBlob(b *object.Blob) ([]byte, error) {
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", b.Hash, err)
	}
	defer r.Close()
	data := make([]byte, 0, b.Size)
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		data = append(data, buf[:n]...)
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading blob %s: %w", b.Hash, err)
		}
	}
}

// info describes n. Blob sizes come from the object header; the content is
// not read. The caller holds t.mu.
func (t *treeFS) info(n node) (*fileInfo, error) {
	fi := &fileInfo{name: n.name, mtime: t.mtime}
	switch n.mode {
	case filemode.Dir, filemode.Submodule:
		fi.mode = fs.ModeDir | 0o755
		return fi, nil
	case filemode.Symlink:
		fi.mode = fs.ModeSymlink | 0o777
	case filemode.Executable:
		fi.mode = 0o755
	default:
		fi.mode = 0o644
	}
	size, err := t.s.EncodedObjectSize(n.hash)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", n.hash, err)
	}
	fi.size = size
	fi.blob = n.hash
	return fi, nil
}

// entries lists a directory node, sorted by name. The caller holds t.mu.
func (t *treeFS) entries(n node) ([]fs.DirEntry, error) {
	if n.mode == filemode.Submodule {
		return nil, nil
	}
	tree, err := t.tree(n.hash)
	if err != nil {
		return nil, err
	}
	list := make([]fs.DirEntry, 0, len(tree.Entries))
	for _, e := range tree.Entries {
		if e.Name == "." || e.Name == ".." || !fs.ValidPath(e.Name) || strings.Contains(e.Name, "/") {
			continue // git refuses such names; a crafted tree gets them dropped
		}
		list = append(list, &dirEntry{fs: t, node: node{name: e.Name, mode: e.Mode, hash: e.Hash}})
	}
	// Git sorts a directory "a" as "a/", so after "a.yaml"; fs wants plain
	// name order.
	sortEntries(list)
	return list, nil
}
