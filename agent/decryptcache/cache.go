package decryptcache

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"slices"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/crypto"
)

// DefaultMaxBytes bounds a Cache built with New(0): enough for the opened
// Secrets of several 10,000-object repositories (about 1 KiB a file).
const DefaultMaxBytes = 32 << 20

// maxEntries bounds the count of entries whatever their size; the byte
// bound is the one that matters.
const maxEntries = 1 << 20

// entryOverhead is counted for each entry besides its bytes: the key, the
// list element, the slice and string headers.
const entryOverhead = 256

// Scope is the GitSync a file is opened for.
type Scope struct {
	Namespace, Name string
	UID             string
}

// KeyParts is everything that decides what opening a file returns.
type KeyParts struct {
	Scope Scope
	// Name is the file's name as given to the decryptor.
	Name string
	// Whole: opened as one value (a generator's files: entry).
	Whole bool
	// Data is the file's bytes, when ContentID is "".
	Data []byte
	// ContentID names the file's bytes instead of Data (render.ContentDecryptor:
	// the git blob hash, collision-detected by go-git's SHA-1).
	ContentID string
	// Recipients are those of the key ring's identities, in the ring's
	// order (the opening identity is reported by its index).
	Recipients []string
}

// Key identifies a cache entry: a SHA-256 of KeyParts.
type Key [sha256.Size]byte

// Key hashes the parts, each length-prefixed so that no two different
// sets of parts run into the same bytes.
func (k KeyParts) Key() Key {
	h := sha256.New()
	field := func(h hash.Hash, b []byte) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	h.Write([]byte("seal-decryptcache-v2"))
	field(h, []byte(k.Scope.Namespace))
	field(h, []byte(k.Scope.Name))
	field(h, []byte(k.Scope.UID))
	field(h, []byte(k.Name))
	if k.Whole {
		field(h, []byte{1})
	} else {
		field(h, []byte{0})
	}
	if k.ContentID != "" {
		field(h, []byte{'c'})
		field(h, []byte(k.ContentID))
	} else {
		field(h, []byte{'d'})
		field(h, k.Data)
	}
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(k.Recipients))))
	for _, r := range k.Recipients {
		field(h, []byte(r))
	}
	var key Key
	h.Sum(key[:0])
	return key
}

// Cache is a byte-bounded least-recently-used map from Key to opened
// files. It is safe for concurrent use; a nil *Cache holds nothing.
type Cache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[Key, *entry]
	bytes int64
	max   int64
}

type entry struct {
	scope Scope
	d     *render.Decrypted
	size  int64
}

// New returns a Cache holding at most maxBytes (DefaultMaxBytes when 0).
func New(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	c := &Cache{max: maxBytes}
	// The callback runs with c.mu held, from Add, RemoveOldest or Remove.
	c.lru, _ = simplelru.NewLRU(maxEntries, func(_ Key, e *entry) { c.bytes -= e.size })
	return c
}

// Get returns a copy of the entry of k.
func (c *Cache) Get(k Key) (*render.Decrypted, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(k)
	if !ok {
		return nil, false
	}
	return clone(e.d), true
}

// Add keeps a copy of d under k, opened for scope, evicting the least
// recently used entries past the byte bound. An entry larger than the
// whole bound is not kept.
func (c *Cache) Add(scope Scope, k Key, d *render.Decrypted) {
	if c == nil {
		return
	}
	size := entrySize(d)
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(k)
	c.lru.Add(k, &entry{scope: scope, d: clone(d), size: size})
	c.bytes += size
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

// Forget drops every entry opened for the GitSync namespace/name, of any
// UID.
func (c *Cache) Forget(namespace, name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.lru.Keys() {
		if e, ok := c.lru.Peek(k); ok && e.scope.Namespace == namespace && e.scope.Name == name {
			c.lru.Remove(k)
		}
	}
}

// Bytes is what the entries hold, as counted against the bound.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Len is the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func entrySize(d *render.Decrypted) int64 {
	n := int64(entryOverhead + len(d.Text) + len(d.KeyID))
	for _, v := range d.Values {
		n += int64(entryOverhead + len(v.Token) + len(v.Value) + len(v.Where) + len(v.SealedFor) + len(v.File))
	}
	return n
}

// clone copies d deeply: the renderer wipes the text it read.
func clone(d *render.Decrypted) *render.Decrypted {
	out := &render.Decrypted{Text: slices.Clone(d.Text), KeyID: d.KeyID, Size: d.Size}
	if d.Values != nil {
		out.Values = make([]crypto.SealedValue, len(d.Values))
	}
	for i, v := range d.Values {
		v.Value = slices.Clone(v.Value)
		out.Values[i] = v
	}
	return out
}
