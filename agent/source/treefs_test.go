package source_test

import (
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
)

// treeFixture commits files and symbolic links (name → target) and
// fetches the result.
func treeFixture(t *testing.T, files map[string][]byte, links map[string]string, exec ...string) *source.Revision {
	t.Helper()
	x := newFixture(t)
	for name, content := range files {
		p := filepath.Join(x.repo.Dir(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range exec {
		if err := os.Chmod(filepath.Join(x.repo.Dir(), name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		p := filepath.Join(x.repo.Dir(), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := x.repo.CommitAll("tree"); err != nil {
		t.Fatal(err)
	}
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "tree", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

func TestTreeFSPassesFSTest(t *testing.T) {
	rev := treeFixture(t, map[string][]byte{
		"a.yaml":        []byte("a: 1\n"),
		"a/b.yaml":      []byte("b: 1\n"),
		"apps/cm.yaml":  []byte("kind: ConfigMap\n"),
		"bin/run.sh":    []byte("#!/bin/sh\n"),
		"deep/x/y/z.md": []byte("z"),
	}, map[string]string{
		"link.yaml":    "apps/cm.yaml",
		"apps/up.yaml": "../a.yaml",
		"dirlink":      "apps",
	}, "bin/run.sh")
	if err := fstest.TestFS(rev.FS, "a.yaml", "a/b.yaml", "apps/cm.yaml", "bin/run.sh", "deep/x/y/z.md", "link.yaml", "apps/up.yaml", "dirlink"); err != nil {
		t.Fatal(err)
	}
	// The FS is also usable below the repository root.
	sub, err := fs.Sub(rev.FS, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "cm.yaml", "up.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestTreeFSEntries(t *testing.T) {
	rev := treeFixture(t, map[string][]byte{
		"a.yaml":       []byte("a: 1\n"),
		"a/b.yaml":     []byte("b: 1\n"),
		"apps/cm.yaml": []byte("kind: ConfigMap\n"),
		"bin/run.sh":   []byte("#!/bin/sh\n"),
	}, map[string]string{
		"link.yaml":      "apps/cm.yaml",
		"apps/up.yaml":   "../a.yaml",
		"dirlink":        "apps",
		"escape.yaml":    "../../etc/passwd",
		"apps/out.yaml":  "../../outside.yaml",
		"abs.yaml":       "/etc/passwd",
		"dangling.yaml":  "nope.yaml",
		"loop1":          "loop2",
		"loop2":          "loop1",
		"via/chain.yaml": "../link.yaml",
	}, "bin/run.sh")
	type want struct {
		Lstat  fs.FileMode // type and permission bits of the entry itself
		Target string      // ReadLink
		Stat   fs.FileMode // after following links
		Size   int64
		Err    error // from Stat, Open and ReadFile (matched by errors.Is, or by text)
	}
	tests := map[string]want{
		"a.yaml":          {Lstat: 0o644, Stat: 0o644, Size: 5},
		"bin/run.sh":      {Lstat: 0o755, Stat: 0o755, Size: 10},
		"apps":            {Lstat: fs.ModeDir | 0o755, Stat: fs.ModeDir | 0o755},
		"link.yaml":       {Lstat: fs.ModeSymlink | 0o777, Target: "apps/cm.yaml", Stat: 0o644, Size: 16},
		"apps/up.yaml":    {Lstat: fs.ModeSymlink | 0o777, Target: "../a.yaml", Stat: 0o644, Size: 5},
		"dirlink":         {Lstat: fs.ModeSymlink | 0o777, Target: "apps", Stat: fs.ModeDir | 0o755},
		"dirlink/cm.yaml": {Lstat: 0o644, Stat: 0o644, Size: 16},
		"via/chain.yaml":  {Lstat: fs.ModeSymlink | 0o777, Target: "../link.yaml", Stat: 0o644, Size: 16},
		"escape.yaml":     {Lstat: fs.ModeSymlink | 0o777, Target: "../../etc/passwd", Err: source.ErrLinkOutsideTree},
		"apps/out.yaml":   {Lstat: fs.ModeSymlink | 0o777, Target: "../../outside.yaml", Err: source.ErrLinkOutsideTree},
		"abs.yaml":        {Lstat: fs.ModeSymlink | 0o777, Target: "/etc/passwd", Err: source.ErrLinkOutsideTree},
		"dangling.yaml":   {Lstat: fs.ModeSymlink | 0o777, Target: "nope.yaml", Err: fs.ErrNotExist},
		"loop1":           {Lstat: fs.ModeSymlink | 0o777, Target: "loop2", Err: errors.New("too many levels of symbolic links")},
	}
	rl := rev.FS.(fs.ReadLinkFS)
	for name, w := range tests {
		t.Run(name, func(t *testing.T) {
			li, err := rl.Lstat(name)
			if err != nil {
				t.Fatal(err)
			}
			if li.Mode() != w.Lstat || li.Name() != filepath.Base(name) {
				t.Errorf("Lstat = %v %q, want %v %q", li.Mode(), li.Name(), w.Lstat, filepath.Base(name))
			}
			target, err := rl.ReadLink(name)
			if w.Lstat&fs.ModeSymlink == 0 {
				if err == nil {
					t.Errorf("ReadLink of a non-link = %q, want an error", target)
				}
			} else if err != nil || target != w.Target {
				t.Errorf("ReadLink = %q, %v, want %q", target, err, w.Target)
			}
			si, statErr := fs.Stat(rev.FS, name)
			_, openErr := rev.FS.Open(name)
			_, readErr := fs.ReadFile(rev.FS, name)
			if w.Err != nil {
				for _, err := range []error{statErr, openErr, readErr} {
					var pe *fs.PathError
					if !errors.As(err, &pe) || pe.Path != name {
						t.Errorf("error %v is not a *fs.PathError for %q", err, name)
					}
					if !errors.Is(err, w.Err) && !(pe != nil && pe.Err.Error() == w.Err.Error()) {
						t.Errorf("error = %v, want %v", err, w.Err)
					}
				}
				return
			}
			if statErr != nil {
				t.Fatal(statErr)
			}
			if si.Mode() != w.Stat || si.Size() != w.Size || si.Name() != filepath.Base(name) {
				t.Errorf("Stat = %v %d %q, want %v %d %q", si.Mode(), si.Size(), si.Name(), w.Stat, w.Size, filepath.Base(name))
			}
			if openErr != nil {
				t.Errorf("Open: %v", openErr)
			}
			if w.Stat.IsDir() != (readErr != nil) {
				t.Errorf("ReadFile error = %v; a file reads, a directory does not", readErr)
			}
		})
	}
}

func TestTreeFSRefusesBadPaths(t *testing.T) {
	rev := treeFixture(t, map[string][]byte{"a/b.yaml": []byte("b")}, nil)
	for _, name := range []string{"../a", "/a", "a/../a/b.yaml", "a//b.yaml", "./a", "a/", ""} {
		_, err := rev.FS.Open(name)
		if !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) error = %v, want fs.ErrInvalid", name, err)
		}
	}
	if _, err := rev.FS.Open("a/b.yaml/c"); err == nil {
		t.Error("Open through a file succeeded")
	}
	list, err := fs.ReadDir(rev.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a"}, names(list)); diff != "" {
		t.Errorf("ReadDir(.) (-want +got):\n%s", diff)
	}
}

func TestTreeFSListsInNameOrder(t *testing.T) {
	// Git orders a directory "a" as "a/", after "a.yaml"; fs wants "a" first.
	rev := treeFixture(t, map[string][]byte{"a.yaml": []byte("1"), "a/x": []byte("2"), "a-b": []byte("3"), "b": []byte("4")}, nil)
	list, err := fs.ReadDir(rev.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "a-b", "a.yaml", "b"}, names(list)); diff != "" {
		t.Errorf("ReadDir(.) (-want +got):\n%s", diff)
	}
}

func TestTreeFSStatDoesNotReadContent(t *testing.T) {
	big := make([]byte, 16<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	rev := treeFixture(t, map[string][]byte{"big.bin": big}, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fi, err := fs.Stat(rev.FS, "big.bin")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(len(big)) {
		t.Errorf("size = %d, want %d", fi.Size(), len(big))
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("Stat allocated %d bytes for a %d-byte file: it read the content", allocated, len(big))
	}
	f, err := rev.FS.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	if err != nil || n != int64(len(big)) {
		t.Errorf("read %d bytes, %v; want %d", n, err, len(big))
	}
}

func TestTreeFSConcurrentReads(t *testing.T) {
	files := manyFiles(40)
	rev := treeFixture(t, files, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got := readAll(t, rev.FS)
			if len(got) != len(files) {
				t.Errorf("read %d files, want %d", len(got), len(files))
			}
		})
	}
	wg.Wait()
}

func names(list []fs.DirEntry) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}

// Stat tells a file's git blob hash, so a renderer can tell an unchanged
// file without reading it: equal content, equal id; other content, other
// id; none for a directory.
func TestTreeFSStatGivesContentID(t *testing.T) {
	rev := treeFixture(t, map[string][]byte{"a.yaml": []byte("x: 1\n"), "b.yaml": []byte("x: 1\n"), "d/c.yaml": []byte("x: 2\n")}, nil)
	id := func(name string) string {
		fi, err := fs.Stat(rev.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := fi.Sys().(interface{ ContentID() string })
		if !ok {
			return ""
		}
		return c.ContentID()
	}
	// git hash-object of "x: 1\n"
	if got, want := id("a.yaml"), "git-blob:"+plumbing.ComputeHash(plumbing.BlobObject, []byte("x: 1\n")).String(); got != want {
		t.Errorf("a.yaml: content id %q, want %q", got, want)
	}
	if id("a.yaml") != id("b.yaml") {
		t.Error("equal content, different ids")
	}
	if id("a.yaml") == id("d/c.yaml") {
		t.Error("different content, equal ids")
	}
	if got := id("d"); got != "" {
		t.Errorf("a directory has content id %q", got)
	}
	// The FS tells the same id by name, without a Stat.
	byName := rev.FS.(interface{ ContentID(string) (string, error) })
	for _, name := range []string{"a.yaml", "d/c.yaml"} {
		got, err := byName.ContentID(name)
		if err != nil || got != id(name) {
			t.Errorf("ContentID(%s) = %q, %v; want %q", name, got, err, id(name))
		}
	}
	if _, err := byName.ContentID("d"); err == nil {
		t.Error("ContentID of a directory: no error")
	}
	if _, err := byName.ContentID("missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ContentID of a missing file: %v, want fs.ErrNotExist", err)
	}
}
