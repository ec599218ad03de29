package gitea

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// assets are the directories Gitea reads from its static root at run time.
var assets = []string{"options", "templates", "public"}

// stage puts the binary and its assets into dir, hard-linked where the
// file system allows and copied otherwise: the cache they come from may sit
// in a home directory the unprivileged server cannot enter (/root is 0700).
func stage(bin, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	if err := linkOrCopy(bin, filepath.Join(dir, "gitea"), 0o755); err != nil {
		return err
	}
	src := filepath.Dir(bin)
	for _, a := range assets {
		root := filepath.Join(src, a)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			return linkOrCopy(path, dst, 0o644)
		})
		if err != nil {
			return fmt.Errorf("gitea: staging %s from %s (rebuild it with `make testbin`): %w", a, src, err)
		}
	}
	return nil
}

// linkOrCopy hard-links src to dst, or copies it with mode perm. A link
// shares the source's mode, which the cache keeps world-readable.
func linkOrCopy(src, dst string, perm os.FileMode) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("gitea: copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	return nil
}

// chownTree gives root and everything below it to uid and gid.
func chownTree(root string, uid, gid int) error {
	err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("gitea: giving %s to uid %d: %w", root, uid, err)
	}
	return nil
}

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
