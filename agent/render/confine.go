package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// maxLinks bounds how many symlinks one lookup may follow, as the kernel
// does (ELOOP), so link loops end.
const maxLinks = 40

// resolver looks paths up in the revision with every symlink followed by
// hand, so that no lookup ever leaves the repository root: the file system
// below (os.DirFS in tests) would follow a link to /etc/passwd if asked to
// open it. Names are slash-separated and relative to the repository root.
type resolver struct {
	fsys  fs.FS
	cache map[string]resolved // the revision is immutable during a render
}

type resolved struct {
	real string
	info fs.FileInfo
}

func newResolver(fsys fs.FS) *resolver {
	return &resolver{fsys: fsys, cache: make(map[string]resolved)}
}

// clean turns a user-supplied path into a repository-relative one, refusing
// absolute paths and paths that climb above the root.
func clean(name string) (string, error) {
	if name == "" {
		return ".", nil
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%s: %w: absolute paths are not allowed", name, ErrOutsideRepository)
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%s: %w", name, ErrOutsideRepository)
	}
	return c, nil
}

// resolve follows every symlink in name and returns the real path (with no
// symlink in it) and what it is. A link whose target is absolute or climbs
// above the root is an error naming the link.
func (r *resolver) resolve(name string) (string, fs.FileInfo, error) {
	name, err := clean(name)
	if err != nil {
		return "", nil, err
	}
	if c, ok := r.cache[name]; ok {
		return c.real, c.info, nil
	}
	todo := split(name)
	var done []string
	lastLink, lastTarget, links := "", "", 0
	var info fs.FileInfo
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(done) == 0 {
				if lastLink != "" {
					return "", nil, fmt.Errorf("%s: symlink to %q %w", lastLink, lastTarget, ErrOutsideRepository)
				}
				return "", nil, fmt.Errorf("%s: %w", name, ErrOutsideRepository)
			}
			done = done[:len(done)-1]
			info = nil
			continue
		}
		cur := path.Join(append(done, c)...)
		fi, err := fs.Lstat(r.fsys, cur)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", name, notFound(err))
		}
		if fi.Mode().Type() == fs.ModeSymlink {
			if links++; links > maxLinks {
				return "", nil, fmt.Errorf("%s: too many levels of symbolic links", cur)
			}
			target, err := fs.ReadLink(r.fsys, cur)
			if err != nil {
				return "", nil, fmt.Errorf("%s: reading symlink: %w", cur, err)
			}
			if target == "" || strings.HasPrefix(target, "/") || strings.HasPrefix(target, `\`) || (len(target) > 1 && target[1] == ':') {
				return "", nil, fmt.Errorf("%s: symlink to %q %w", cur, target, ErrOutsideRepository)
			}
			lastLink, lastTarget = cur, target
			todo = append(split(target), todo...)
			continue
		}
		if len(todo) > 0 && !fi.IsDir() {
			return "", nil, fmt.Errorf("%s: %s is not a directory", name, cur)
		}
		done = append(done, c)
		info = fi
	}
	real := path.Join(done...)
	if real == "" {
		real = "."
	}
	if info == nil {
		if info, err = fs.Stat(r.fsys, real); err != nil {
			return "", nil, fmt.Errorf("%s: %w", name, notFound(err))
		}
	}
	r.cache[name] = resolved{real, info}
	return real, info, nil
}

func split(p string) []string {
	if p == "" || p == "." {
		return nil
	}
	return strings.Split(p, "/")
}

// notFound keeps fs.ErrNotExist visible without the underlying path, which
// for os.DirFS would be an absolute path on the agent's disk.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fs.ErrNotExist
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
