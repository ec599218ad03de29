package render

import (
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DefaultParseCacheBytes bounds a ParseCache built with size 0.
const DefaultParseCacheBytes = 64 << 20

// ParseCache remembers the objects decoded from unencrypted manifest files
// in plain mode, by the content id the file system's Stat gives
// (fs.FileInfo.Sys() with a ContentID() string method, as agent/source's
// tree gives the git blob hash), so a render of a commit that changed one
// file reads and decodes that file only. Encrypted files are never kept
// here (their values are the decryptor's business), and neither is
// anything of kustomize mode. An entry's key hashes Options.CacheScope,
// the file's path, its content id and Options.AllowPlaintextSecrets.
// Bounded by an estimate of the bytes held, least recently used out
// first; safe for concurrent use.
type ParseCache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[parseKey, *parsedFile]
	bytes int64
	max   int64
}

type parseKey [sha256.Size]byte

type parsedFile struct {
	objects  []*unstructured.Unstructured
	fileSize int64 // of the file decoded
	size     int64 // held, as estimated
}

// NewParseCache returns a cache holding about maxBytes
// (DefaultParseCacheBytes when 0).
func NewParseCache(maxBytes int64) *ParseCache {
	if maxBytes <= 0 {
		maxBytes = DefaultParseCacheBytes
	}
	c := &ParseCache{max: maxBytes}
	c.lru, _ = simplelru.NewLRU(1<<20, func(_ parseKey, p *parsedFile) { c.bytes -= p.size })
	return c
}

// Len is the number of files held.
func (c *ParseCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Bytes is the estimate of what the entries hold.
func (c *ParseCache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// parsedSize estimates the memory of objects decoded from a file of size
// bytes: decoded maps take several times the YAML.
func parsedSize(size int64, objects int) int64 { return 8*size + 512*int64(objects) + 256 }

func (c *ParseCache) get(k parseKey) (objects []*unstructured.Unstructured, fileSize int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.lru.Get(k)
	if !ok {
		return nil, 0, false
	}
	return deepCopies(p.objects), p.fileSize, true
}

func (c *ParseCache) add(k parseKey, objects []*unstructured.Unstructured, fileSize int64) {
	size := parsedSize(fileSize, len(objects))
	if size > c.max {
		return
	}
	p := &parsedFile{objects: deepCopies(objects), fileSize: fileSize, size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
	c.lru.Add(k, p)
	c.bytes += size
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

func deepCopies(objects []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objects))
	for i, o := range objects {
		out[i] = o.DeepCopy()
	}
	return out
}

// contentIDFS is a file system that tells a file's content id by name,
// without a Stat (agent/source's tree: a Stat there also looks up the
// blob's size, which costs more than the id).
type contentIDFS interface {
	ContentID(name string) (string, error)
}

// contentID returns the content id of the file at real, or false when
// the file system tells none.
func (r *reader) contentID(real string) (string, bool) {
	if c, isC := r.fsys.(contentIDFS); isC {
		id, err := c.ContentID(real)
		return id, err == nil // read reports an error
	}
	fi, err := fs.Stat(r.fsys, real)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	c, isC := fi.Sys().(interface{ ContentID() string })
	if !isC {
		return "", false
	}
	return c.ContentID(), true
}

// plainKey is the cache key of the file at real, shown as shown; ok is
// false when there is no cache or the file system tells no content id.
func (r *reader) plainKey(shown, real string) (k parseKey, ok bool) {
	if r.opts.Parsed == nil {
		return k, false
	}
	id, ok := r.contentID(real)
	if !ok {
		return k, false
	}
	h := sha256.New()
	h.Write([]byte("seal-render-parsecache-v1"))
	allow := "0"
	if r.opts.AllowPlaintextSecrets {
		allow = "1"
	}
	for _, f := range []string{r.opts.CacheScope, shown, real, id, allow} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	h.Sum(k[:0])
	return k, true
}

// cachedPlain returns the objects a previous render decoded from the file
// under k, counted against the caps as if read (at the size it had then:
// the same content id, the same size).
func (r *reader) cachedPlain(real string, k parseKey) ([]*unstructured.Unstructured, bool, error) {
	objects, size, ok := r.opts.Parsed.get(k)
	if !ok {
		return nil, false, nil
	}
	if err := r.lim.file(real, size); err != nil {
		return nil, false, err
	}
	if err := r.lim.read(real, size); err != nil {
		return nil, false, err
	}
	r.files[real] = struct{}{}
	return objects, true, nil
}
