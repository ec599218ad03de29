package source

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Ref is the revision to fetch: a branch, a tag or a commit SHA. At most
// one may be set; none means the branch "main".
type Ref struct {
	Branch, Tag, Commit string
}

// String describes r for messages: branch "main", tag "v1", commit "…".
func (r Ref) String() string {
	switch {
	case r.Commit != "":
		return fmt.Sprintf("commit %q", r.Commit)
	case r.Tag != "":
		return fmt.Sprintf("tag %q", r.Tag)
	default:
		return fmt.Sprintf("branch %q", r.Branch)
	}
}

// ErrInvalidRef: more than one of branch, tag and commit, a malformed
// name, or a commit that is not a full SHA-1.
var ErrInvalidRef = errors.New("invalid ref")

var sha1Hex = regexp.MustCompile(`^[0-9a-f]{40}$`)

// normalize checks r and fills in the default branch.
func (r Ref) normalize() (Ref, error) {
	set := 0
	for _, s := range []string{r.Branch, r.Tag, r.Commit} {
		if s != "" {
			set++
		}
	}
	switch {
	case set > 1:
		return r, fmt.Errorf("ref: set at most one of branch, tag and commit: %w", ErrInvalidRef)
	case set == 0:
		return Ref{Branch: "main"}, nil
	case r.Commit != "" && !sha1Hex.MatchString(r.Commit):
		return r, fmt.Errorf("ref: commit %q is not a full 40-character lowercase SHA-1: %w", r.Commit, ErrInvalidRef)
	}
	name := r.Branch + r.Tag
	if r.Commit == "" && (strings.ContainsAny(name, ":*?[\\^~ \t\n") || strings.Contains(name, "..") ||
		strings.HasPrefix(name, "-") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/")) {
		return r, fmt.Errorf("ref: %s is not a valid Git ref name: %w", r, ErrInvalidRef)
	}
	return r, nil
}

// resolve fetches what ref needs into repo (whose storage is st) and
// returns its commit.
func resolve(ctx context.Context, repo *git.Repository, st *filesystem.Storage, r remote, ref Ref, c connection) (plumbing.Hash, error) {
	if ref.Commit != "" {
		return resolveCommit(ctx, repo, st, r, plumbing.NewHash(ref.Commit), c)
	}
	name := plumbing.NewBranchReferenceName(ref.Branch)
	if ref.Tag != "" {
		name = plumbing.NewTagReferenceName(ref.Tag)
	}
	err := fetch(ctx, st, r, c, config.RefSpec("+"+name+":"+name))
	if errors.Is(err, git.NoMatchingRefSpecError{}) {
		return plumbing.ZeroHash, &fetchError{msg: fmt.Sprintf("%s not found in %s", ref, r.display), kind: ErrRefNotFound, cause: err}
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	local, err := repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %s fetched but not stored: %v", errCache, ref, err)
	}
	return peel(repo, local.Hash())
}

// resolveCommit uses a commit already in the cache (commits never
// change), else asks for it by SHA, else fetches all branches and tags and
// looks again.
func resolveCommit(ctx context.Context, repo *git.Repository, st *filesystem.Storage, r remote, h plumbing.Hash, c connection) (plumbing.Hash, error) {
	if _, err := repo.CommitObject(h); err == nil {
		return h, nil
	}
	err := fetch(ctx, st, r, c, config.RefSpec(h.String()+":refs/seal/commit"))
	if err != nil && ctx.Err() == nil && !isRemote(describe(ctx, err, "")) {
		// The server does not serve unadvertised commits (or refused
		// this one): fetch everything it advertises instead.
		err = fetch(ctx, st, r, c, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	}
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := repo.CommitObject(h); err != nil {
		return plumbing.ZeroHash, &fetchError{msg: fmt.Sprintf("commit %q not found in %s", h, r.display), kind: ErrRefNotFound}
	}
	return h, nil
}

// peel follows annotated tags to the commit they name.
func peel(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		o, err := repo.Object(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w: object %s: %v", errCache, h, err)
		}
		switch o := o.(type) {
		case *object.Commit:
			return h, nil
		case *object.Tag:
			h = o.Target
		default:
			return plumbing.ZeroHash, fmt.Errorf("%s is a %s, not a commit: %w", h, o.Type(), ErrRefNotFound)
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("tag %s: too many nested tags: %w", h, ErrRefNotFound)
}

// fetch fetches specs from r into st. Tags come only when asked for. Each
// pack is bounded by c.maxFetchSize: as it is read (cappedTransport, which
// finds the limit in the context) and as it is stored (guardedStorage).
// A failed fetch leaves no temporary file behind.
func fetch(ctx context.Context, st *filesystem.Storage, r remote, c connection, specs ...config.RefSpec) error {
	if c.preflight != nil {
		if err := c.preflight(ctx); err != nil {
			return err
		}
	}
	origin := git.NewRemote(&guardedStorage{Storage: st, limit: c.objectLimit},
		&config.RemoteConfig{Name: "origin", URLs: []string{r.url}})
	err := origin.FetchContext(withFetchLimit(ctx, c.maxFetchSize), &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   specs,
		Auth:       c.method,
		CABundle:   c.ca,
		Tags:       git.NoTags,
		Force:      true,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	if err != nil {
		removed, rmErr := removeTempPacks(st)
		if rmErr != nil {
			return fmt.Errorf("%w (and removing its temporary files: %v)", err, rmErr)
		}
		if removed > 0 {
			// go-git's pack writer does not close its two handles on the
			// file it failed to finish; until the garbage collector closes
			// them, the removed file (up to MaxFetchSize) still takes disk
			// space. Its pooled zlib readers still reach the file until a
			// second collection empties the pool: collect twice now rather
			// than wait for the runtime's own collections.
			runtime.GC()
			runtime.GC()
		}
	}
	return err
}
