package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// objectCacheSize bounds the decoded objects each open repository keeps in
// memory (go-git's default is 96 MiB per repository).
const objectCacheSize = 16 * cache.MiByte

// fetchInto fetches ref into the bare repository in dir and returns its
// revision. A panic in the git library (a damaged pack can cause one)
// becomes a cache error.
func fetchInto(ctx context.Context, dir string, checks *packChecks, r remote, ref Ref, c connection) (rev *Revision, err error) {
	defer func() {
		if p := recover(); p != nil {
			rev, err = nil, fmt.Errorf("%w: the git library failed reading %s", errCache, dir)
		}
	}()
	repo, err := openRepo(dir, r.url, checks)
	if err != nil {
		return nil, err
	}
	h, err := resolve(ctx, repo, r, ref, c)
	if err != nil {
		return nil, err
	}
	commit, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("%w: commit %s: %v", errCache, h, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("%w: tree of commit %s: %v", errCache, h, err)
	}
	if err := verifyTree(repo.Storer, tree); err != nil {
		return nil, fmt.Errorf("%w: commit %s: %v", errCache, h, err)
	}
	return &Revision{SHA: h.String(), FS: &treeFS{s: repo.Storer, root: tree, mtime: commit.Committer.When}}, nil
}

// openRepo opens the bare repository in dir, creating it when missing and
// starting over when it belongs to another URL, cannot be opened or holds
// a damaged pack.
func openRepo(dir, url string, checks *packChecks) (*git.Repository, error) {
	if _, err := os.Stat(filepath.Join(dir, "config")); err == nil && checks.verifyPacks(dir) == nil {
		repo, err := git.Open(storage(dir), nil)
		if err == nil {
			cfg, err := repo.Config()
			if err == nil && cfg.Remotes["origin"] != nil && len(cfg.Remotes["origin"].URLs) == 1 && cfg.Remotes["origin"].URLs[0] == url {
				return repo, nil
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("%w: %v", errCache, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %v", errCache, err)
	}
	repo, err := git.Init(storage(dir), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: creating %s: %v", errCache, dir, err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCache, dir, err)
	}
	return repo, nil
}

// storage opens dir's object and reference storage. Not with
// ExclusiveAccess: in go-git v5.19 it makes HasEncodedObject miss packed
// objects.
func storage(dir string) *filesystem.Storage {
	return filesystem.NewStorage(osfs.New(dir, osfs.WithBoundOS()), cache.NewObjectLRU(objectCacheSize))
}
