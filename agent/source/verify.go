package source

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// packChecks remembers which packs were found whole, so each is read in
// full once per process. A pack's name is the hash of its content, so path
// and size identify what was checked.
type packChecks struct {
	mu sync.Mutex
	ok map[string]bool // path + size
}

// verifyPacks checks every pack in the repository in dir against the
// SHA-1 checksum in its trailer.
func (c *packChecks) verifyPacks(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s:%d", p, st.Size())
		c.mu.Lock()
		done := c.ok[key]
		c.mu.Unlock()
		if done {
			continue
		}
		if err := verifyPack(p, st.Size()); err != nil {
			return err
		}
		c.mu.Lock()
		c.ok[key] = true
		c.mu.Unlock()
	}
	return nil
}

func verifyPack(path string, size int64) error {
	if size < 32 { // header (12) + trailer (20)
		return fmt.Errorf("pack %s is truncated", filepath.Base(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha1.New()
	if _, err := io.CopyN(h, f, size-20); err != nil {
		return fmt.Errorf("pack %s: %w", filepath.Base(path), err)
	}
	trailer := make([]byte, 20)
	if _, err := io.ReadFull(f, trailer); err != nil {
		return fmt.Errorf("pack %s: %w", filepath.Base(path), err)
	}
	if !bytes.Equal(h.Sum(nil), trailer) {
		return fmt.Errorf("pack %s does not match its checksum", filepath.Base(path))
	}
	return nil
}

// verifyTree checks that every tree under root decodes and every blob it
// names is stored, so that a revision is never served with holes (as after
// a fetch that trusted refs whose objects were lost). Blobs are looked up
// in the pack indexes of dir (fetches write packs only), falling back to
// the storage for anything else.
func verifyTree(dir string, s storer.EncodedObjectStorer, root *object.Tree) error {
	idx, err := packIndexes(dir)
	if err != nil {
		return err
	}
	var walk func(t *object.Tree) error
	walk = func(t *object.Tree) error {
		for _, e := range t.Entries {
			switch e.Mode {
			case filemode.Dir:
				sub, err := object.GetTree(s, e.Hash)
				if err != nil {
					return fmt.Errorf("tree %s (%s): %w", e.Hash, e.Name, err)
				}
				if err := walk(sub); err != nil {
					return err
				}
			case filemode.Submodule:
			default:
				if idx.contains(e.Hash) {
					continue
				}
				if err := s.HasEncodedObject(e.Hash); err != nil {
					return fmt.Errorf("blob %s (%s): %w", e.Hash, e.Name, err)
				}
			}
		}
		return nil
	}
	return walk(root)
}

type indexes []*idxfile.MemoryIndex

func (ix indexes) contains(h plumbing.Hash) bool {
	for _, i := range ix {
		if ok, err := i.Contains(h); ok && err == nil {
			return true
		}
	}
	return false
}

// packIndexes reads the index of every pack in the repository in dir.
func packIndexes(dir string) (indexes, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx"))
	if err != nil {
		return nil, err
	}
	var ix indexes
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		i := idxfile.NewMemoryIndex()
		err = idxfile.NewDecoder(f).Decode(i)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("pack index %s: %w", filepath.Base(p), err)
		}
		ix = append(ix, i)
	}
	return ix, nil
}
