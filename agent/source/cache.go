package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const (
	// objectCacheSize bounds the decoded objects each open repository
	// keeps in memory (go-git's default is 96 MiB per repository).
	objectCacheSize = 16 * cache.MiByte
	// openPacks is how many pack files each open repository keeps open,
	// so that reading a thousand files does not open a pack a thousand
	// times.
	openPacks = 8
	// maxPacks is how many packs a cached repository may hold before they
	// are repacked into one: every fetch that brings something adds one,
	// and every object lookup searches them all.
	maxPacks = 16
)

// fetchInto fetches ref into the bare repository in dir and returns the
// commit's SHA and tree. A panic in the git library (a damaged pack can cause one) becomes
// a cache error.
func fetchInto(ctx context.Context, dir string, checks *packChecks, r remote, ref Ref, c connection) (sha string, t *treeFS, err error) {
	var st *filesystem.Storage
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%w: the git library failed reading %s", errCache, dir)
		}
		if err != nil && st != nil {
			st.Close()
		}
	}()
	repo, st, err := openRepo(dir, r.url, checks)
	if err != nil {
		return "", nil, err
	}
	h, err := resolve(ctx, repo, st, r, ref, c)
	if err != nil {
		return "", nil, err
	}
	if packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack")); len(packs) > maxPacks {
		if repo, st, err = repack(dir, repo, st, h); err != nil {
			return "", nil, err
		}
	}
	commit, err := repo.CommitObject(h)
	if err != nil {
		return "", nil, fmt.Errorf("%w: commit %s: %v", errCache, h, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return "", nil, fmt.Errorf("%w: tree of commit %s: %v", errCache, h, err)
	}
	if err := verifyTree(dir, st, tree); err != nil {
		return "", nil, fmt.Errorf("%w: commit %s: %v", errCache, h, err)
	}
	return h.String(), &treeFS{s: st, closer: st, root: tree, mtime: commit.Committer.When, commit: commit}, nil
}

// openRepo opens the bare repository in dir, creating it when missing and
// starting over when it belongs to another URL, cannot be opened or holds
// a damaged pack.
func openRepo(dir, url string, checks *packChecks) (*git.Repository, *filesystem.Storage, error) {
	if _, err := os.Stat(filepath.Join(dir, "config")); err == nil && checks.verifyPacks(dir) == nil {
		st := storage(dir)
		if repo, err := git.Open(st, nil); err == nil {
			if cfg, err := repo.Config(); err == nil && sameURL(cfg, url) {
				return repo, st, nil
			}
		}
		st.Close()
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errCache, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errCache, err)
	}
	st := storage(dir)
	repo, err := git.Init(st, nil)
	if err == nil {
		_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	}
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%w: creating %s: %v", errCache, dir, err)
	}
	return repo, st, nil
}

// repack packs every object reachable from a ref, and the commit h, into
// one pack, deletes the others, and reopens the repository.
func repack(dir string, repo *git.Repository, st *filesystem.Storage, h plumbing.Hash) (*git.Repository, *filesystem.Storage, error) {
	if err := repo.Storer.SetReference(plumbing.NewHashReference(syncedRef, h)); err != nil {
		return repo, st, fmt.Errorf("%w: %v", errCache, err)
	}
	if err := repo.RepackObjects(&git.RepackConfig{}); err != nil {
		return repo, st, fmt.Errorf("%w: repacking %s: %v", errCache, dir, err)
	}
	st.Close() // its index still lists the deleted packs
	st = storage(dir)
	repo, err := git.Open(st, nil)
	if err != nil {
		return repo, st, fmt.Errorf("%w: reopening %s: %v", errCache, dir, err)
	}
	return repo, st, nil
}

// syncedRef keeps the last fetched commit (whatever ref led to it) from
// being dropped by a repack.
const syncedRef = plumbing.ReferenceName("refs/seal/synced")

func sameURL(cfg *config.Config, url string) bool {
	o := cfg.Remotes["origin"]
	return o != nil && len(o.URLs) == 1 && o.URLs[0] == url
}

// storage opens dir's object and reference storage. Not with
// ExclusiveAccess: in go-git v5.19 it makes HasEncodedObject miss packed
// objects.
func storage(dir string) *filesystem.Storage {
	return filesystem.NewStorageWithOptions(osfs.New(dir, osfs.WithBoundOS()), cache.NewObjectLRU(objectCacheSize),
		filesystem.Options{MaxOpenDescriptors: openPacks})
}

// removeTempPacks removes the temporary files go-git writes packs and
// objects into before naming them, and returns how many it removed: a
// fetch that fails leaves its own behind (go-git removes them only on
// success), and a process killed in the middle of a fetch leaves them
// too. The caller holds the cache entry's lock, so no fetch is writing
// them.
func removeTempPacks(st *filesystem.Storage) (int, error) {
	fs := st.Filesystem()
	dir := fs.Join("objects", "pack")
	entries, err := fs.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return 0, nil
		}
		return 0, err
	}
	removed := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "tmp_pack_") || strings.HasPrefix(e.Name(), "tmp_obj_") {
			if err := fs.Remove(fs.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}
