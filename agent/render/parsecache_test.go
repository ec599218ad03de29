package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// contentID is what a Git file system's Stat gives in Sys.
type contentID string

func (c contentID) ContentID() string { return string(c) }

// withIDs gives every file of fsys a content id from its bytes, as
// agent/source's tree does.
func withIDs(fsys fstest.MapFS) fstest.MapFS {
	for _, f := range fsys {
		sum := sha256.Sum256(f.Data)
		f.Sys = contentID(hex.EncodeToString(sum[:]))
	}
	return fsys
}

func cmv(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: team\ndata:\n  v: %q\n", name, value)
}

func renderWith(t *testing.T, fsys fs.FS, opts Options) *Result {
	t.Helper()
	res, err := Render(context.Background(), fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A render with the cache is the render without it, and every input that
// changes what a file decodes to (its content, its path, the GitSync, the
// plaintext-Secrets policy) misses.
func TestParseCacheNeverServesStale(t *testing.T) {
	cache := NewParseCache(1 << 20)
	opts := fakeOptions("")
	opts.Parsed, opts.CacheScope = cache, "team/app/uid-1"
	fsys := withIDs(mapFS(map[string]string{"a.yaml": cmv("a", "1"), "b.yaml": cmv("b", "1"), "s.yaml": fakeEnc("key-0", secretDoc)}))

	uncached := renderWith(t, fsys, fakeOptions(""))
	first := renderWith(t, fsys, opts)
	if cache.Len() != 2 {
		t.Fatalf("cache holds %d files, want the 2 unencrypted ones", cache.Len())
	}
	second := renderWith(t, fsys, opts)
	for _, got := range []*Result{first, second} {
		if diff := cmp.Diff(uncached, got); diff != "" {
			t.Fatalf("cached render differs (-uncached +cached):\n%s", diff)
		}
	}
	// What a render returns may be changed by later stages: the cache
	// keeps its own copy.
	second.Objects[0].SetName("changed")
	if diff := cmp.Diff(uncached, renderWith(t, fsys, opts)); diff != "" {
		t.Fatalf("changing a render's objects changed the cache (-uncached +cached):\n%s", diff)
	}

	// Content changed: decoded again.
	fsys2 := withIDs(mapFS(map[string]string{"a.yaml": cmv("a", "2"), "b.yaml": cmv("b", "1"), "s.yaml": fakeEnc("key-0", secretDoc)}))
	if diff := cmp.Diff(renderWith(t, fsys2, fakeOptions("")), renderWith(t, fsys2, opts)); diff != "" {
		t.Errorf("changed file served from the cache (-want +got):\n%s", diff)
	}
	// Same content at another path: its own source.
	fsys3 := withIDs(mapFS(map[string]string{"moved/a.yaml": cmv("a", "1")}))
	if got := renderWith(t, fsys3, opts).Sources; !cmp.Equal(got, []string{"moved/a.yaml"}) {
		t.Errorf("moved file: sources %v", got)
	}
	// A plaintext Secret decoded for a GitSync that allows them is refused
	// for one that does not, and for the same GitSync once it stops
	// allowing them.
	plain := withIDs(mapFS(map[string]string{"s.yaml": secretDoc}))
	allow := opts
	allow.AllowPlaintextSecrets = true
	renderWith(t, plain, allow)
	if _, err := Render(context.Background(), plain, opts); err == nil {
		t.Error("a plaintext Secret was accepted from the cache after AllowPlaintextSecrets was turned off")
	}
	// Another GitSync never hits this one's entries.
	before := cache.Len()
	other := opts
	other.CacheScope = "team/other/uid-2"
	renderWith(t, fsys, other)
	if cache.Len() != before+2 {
		t.Errorf("another GitSync's render added %d entries, want its own 2", cache.Len()-before)
	}
}

// Files without a content id (a file system that cannot tell one) are
// always read.
func TestParseCacheNeedsContentID(t *testing.T) {
	cache := NewParseCache(1 << 20)
	opts := fakeOptions("")
	opts.Parsed, opts.CacheScope = cache, "s"
	renderWith(t, mapFS(map[string]string{"a.yaml": cmv("a", "1")}), opts)
	if cache.Len() != 0 {
		t.Errorf("cached %d files that had no content id", cache.Len())
	}
}

// The cache stays within its bytes, least recently used out first, and
// a cached file still counts against the render's size caps.
func TestParseCacheBounds(t *testing.T) {
	fsys := withIDs(mapFS(map[string]string{"a.yaml": cmv("a", "1"), "b.yaml": cmv("b", "1"), "c.yaml": cmv("c", "1")}))
	size := parsedSize(int64(len(fsys["a.yaml"].Data)), 1)
	cache := NewParseCache(2 * size)
	opts := fakeOptions("")
	opts.Parsed, opts.CacheScope = cache, "s"
	renderWith(t, fsys, opts)
	if cache.Len() != 2 || cache.Bytes() > 2*size {
		t.Errorf("cache holds %d entries, %d bytes; want 2 within %d", cache.Len(), cache.Bytes(), 2*size)
	}
	opts.MaxTotalSize = int64(2 * len(fsys["a.yaml"].Data))
	if _, err := Render(context.Background(), fsys, opts); err == nil {
		t.Error("a render over MaxTotalSize passed because files came from the cache")
	}
}

const secretDoc = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team\nstringData:\n  password: p4ss\n"

// idFS tells content ids by name, as agent/source's tree does, and
// counts the Stats.
type idFS struct {
	fstest.MapFS
	stats *int
}

func (f idFS) ContentID(name string) (string, error) {
	file, ok := f.MapFS[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return string(file.Sys.(contentID)), nil
}

func (f idFS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := f.MapFS[name]; ok {
		*f.stats++
	}
	return f.MapFS.Stat(name)
}

func (f idFS) ReadLink(name string) (string, error) { return f.MapFS.ReadLink(name) }

func (f idFS) Lstat(name string) (fs.FileInfo, error) { return f.MapFS.Lstat(name) }

// A file system that tells content ids by name is asked that, not Stat,
// for files the cache holds; a changed id is read again.
func TestParseCacheUsesContentIDByName(t *testing.T) {
	stats := 0
	fsys := idFS{withIDs(mapFS(map[string]string{"a.yaml": cmv("a", "1"), "b.yaml": cmv("b", "1")})), &stats}
	opts := fakeOptions("")
	opts.Parsed, opts.CacheScope = NewParseCache(0), "s"
	want := renderWith(t, fsys.MapFS, fakeOptions(""))
	renderWith(t, fsys, opts)
	stats = 0
	if diff := cmp.Diff(want, renderWith(t, fsys, opts)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if stats != 0 {
		t.Errorf("a render from the cache made %d Stats of files", stats)
	}
	fsys.MapFS["a.yaml"] = &fstest.MapFile{Data: []byte(cmv("a", "2")), Mode: 0o644}
	withIDs(fsys.MapFS)
	if diff := cmp.Diff(renderWith(t, fsys.MapFS, fakeOptions("")), renderWith(t, fsys, opts)); diff != "" {
		t.Errorf("changed file (-want +got):\n%s", diff)
	}
}
