package source_test

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
)

func manyFiles(n int) map[string][]byte {
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("apps/app%02d/cm.yaml", i)] = []byte(fmt.Sprintf("kind: ConfigMap\nmetadata:\n  name: app%02d\n", i))
	}
	return files
}

func TestIncrementalFetchTransfersOnlyNewObjects(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", manyFiles(30))
	fetch := func() *source.Revision {
		t.Helper()
		rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "ns/env", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	fetch()
	before := packs(t, x.cache)
	if len(before) != 1 {
		t.Fatalf("first fetch left %d packs, want 1", len(before))
	}

	// One changed file two directories deep: a commit, three trees
	// (root, apps, apps/app07) and a blob are new.
	second := x.commit(t, "change app07", map[string][]byte{"apps/app07/cm.yaml": []byte("kind: ConfigMap\n# changed\n")})
	rev := fetch()
	if rev.SHA != second {
		t.Fatalf("SHA = %s, want %s", rev.SHA, second)
	}
	after := packs(t, x.cache)
	var newPacks []uint32
	for name, n := range after {
		if _, ok := before[name]; !ok {
			newPacks = append(newPacks, n)
		}
	}
	if diff := cmp.Diff([]uint32{5}, newPacks); diff != "" {
		t.Errorf("objects in the packs the second fetch added (-want +got):\n%s", diff)
	}
	data, err := fs.ReadFile(rev.FS, "apps/app07/cm.yaml")
	if err != nil || string(data) != "kind: ConfigMap\n# changed\n" {
		t.Errorf("changed file = %q, %v", data, err)
	}

	// Nothing new: no new pack.
	fetch()
	if got := len(packs(t, x.cache)); got != len(after) {
		t.Errorf("an up-to-date fetch changed the pack count from %d to %d", len(after), got)
	}
}

func TestDeletedFileDisappears(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", map[string][]byte{"a.yaml": []byte("a\n"), "old/b.yaml": []byte("b\n")})
	for _, step := range []struct {
		files map[string][]byte
		want  []string
	}{
		{nil, []string{"a.yaml", "old/b.yaml"}},
		{map[string][]byte{"old/b.yaml": nil}, []string{"a.yaml"}},
	} {
		if step.files != nil {
			x.commit(t, "delete", step.files)
		}
		rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(step.want, slices.Sorted(maps.Keys(readAll(t, rev.FS)))); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		if step.files != nil {
			if _, err := fs.Stat(rev.FS, "old"); !os.IsNotExist(err) {
				t.Errorf("Stat of the emptied directory: %v, want not exist", err)
			}
		}
	}
}

func TestMovedTagIsFollowed(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", map[string][]byte{"v": []byte("1")})
	if err := x.repo.Tag("stable"); err != nil {
		t.Fatal(err)
	}
	fetch := func() string {
		rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{Tag: "stable"}, x.basic)
		if err != nil {
			t.Fatal(err)
		}
		return rev.SHA
	}
	fetch()
	second := x.commit(t, "second", map[string][]byte{"v": []byte("2")})
	gitCLI(t, x.repo.Dir(), "tag", "-f", "stable")
	gitCLI(t, x.repo.Dir(), "push", "--quiet", "--force", "origin", "refs/tags/stable")
	if got := fetch(); got != second {
		t.Errorf("after the tag moved, SHA = %s, want %s", got, second)
	}
}

func TestDamagedCacheIsFetchedAgain(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, repoDir string)
	}{
		{"garbage config", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "config"), "[core\x00garbage")
		}},
		{"packs deleted", func(t *testing.T, dir string) {
			removeGlob(t, filepath.Join(dir, "objects", "pack", "*"))
		}},
		{"packs truncated", func(t *testing.T, dir string) {
			matches, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
			for _, m := range matches {
				if err := os.Truncate(m, 40); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"not a directory", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "junk")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newFixture(t)
			x.commit(t, "first", manyFiles(3))
			if _, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic); err != nil {
				t.Fatal(err)
			}
			dirs, _ := filepath.Glob(filepath.Join(x.cache, "*"))
			if len(dirs) != 1 {
				t.Fatalf("cache holds %v, want one repository", dirs)
			}
			tt.damage(t, dirs[0])
			// A new commit, so the fetch must really work on the repository.
			sha := x.commit(t, "second", map[string][]byte{"new.yaml": []byte("n\n")})
			rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "k", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
			if err != nil {
				t.Fatalf("fetch into the damaged cache: %v", err)
			}
			if rev.SHA != sha || len(readAll(t, rev.FS)) != 4 {
				t.Errorf("got %s with %d files, want %s with 4", rev.SHA, len(readAll(t, rev.FS)), sha)
			}
		})
	}
}

func TestConcurrentFetches(t *testing.T) {
	x := newFixture(t)
	sha := x.commit(t, "first", manyFiles(20))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		// Four keys, four fetches each: same keys wait for each other,
		// different keys run side by side.
		key := fmt.Sprintf("ns/gs%d", i%4)
		wg.Go(func() {
			rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), key, x.srv.HTTPURL("env"), source.Ref{}, x.basic)
			if err == nil && rev.SHA != sha {
				err = fmt.Errorf("%s: SHA %s, want %s", key, rev.SHA, sha)
			}
			if err == nil && len(readAll(t, rev.FS)) != 20 {
				err = fmt.Errorf("%s: wrong file count", key)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if dirs, _ := filepath.Glob(filepath.Join(x.cache, "*")); len(dirs) != 4 {
		t.Errorf("cache holds %d repositories, want 4", len(dirs))
	}
	if err := x.f.Remove(ctxTimeout(t, time.Minute), "ns/gs0"); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := filepath.Glob(filepath.Join(x.cache, "*")); len(dirs) != 3 {
		t.Errorf("after Remove the cache holds %d repositories, want 3", len(dirs))
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func removeGlob(t *testing.T, pattern string) {
	t.Helper()
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			t.Fatal(err)
		}
	}
}
