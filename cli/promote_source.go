package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seal-gitops/seal/keys"
)

// gitSource is a SRC of the form REF:PATH: the files under PATH (from the
// repository's root) in the commit REF names, read with git, so a branch
// can be promoted into the work tree of another without checking it out.
type gitSource struct {
	top  string // the work tree's root, where git runs
	ref  string
	dir  string // PATH, slash-separated, "" for the whole tree
	spec string // REF:PATH as given
}

// parseGitSource splits REF:PATH; ok is false when spec has no colon.
func parseGitSource(spec string) (ref, dir string, ok bool) {
	ref, dir, ok = strings.Cut(spec, ":")
	if !ok || ref == "" {
		return "", "", false
	}
	dir = strings.Trim(path.Clean("/"+filepath.ToSlash(dir)), "/")
	return ref, dir, true
}

// openGitSource checks that ref names a commit of the repository holding wd.
func openGitSource(ctx context.Context, wd, spec, ref, dir string) (*gitSource, error) {
	top, err := gitTopLevel(ctx, wd)
	if err != nil {
		return nil, fmt.Errorf("SRC %s names a git revision: %w", spec, err)
	}
	if _, err := runGit(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}"); err != nil {
		return nil, withHint(fmt.Errorf("SRC %s: no branch, tag or commit %q in this repository", spec, ref),
			"name a branch (git branch -a lists them; fetch it first if it is only on the remote), or a directory")
	}
	return &gitSource{top: top, ref: ref, dir: dir, spec: spec}, nil
}

// files lists the files under the source's PATH at REF, like
// promoteFiles: no .sops.yaml, and symbolic links and submodules refused.
func (g *gitSource) files(ctx context.Context, dst string) ([]promoteFile, error) {
	args := []string{"ls-tree", "-r", "-z", "--full-tree", g.ref}
	if g.dir != "" {
		args = append(args, "--", g.dir)
	}
	out, err := runGit(ctx, g.top, args...)
	if err != nil {
		return nil, fmt.Errorf("SRC %s: %w", g.spec, err)
	}
	var files []promoteFile
	for _, entry := range strings.Split(string(out), "\x00") {
		if entry == "" {
			continue
		}
		meta, name, ok := strings.Cut(entry, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("SRC %s: unexpected git ls-tree output %q", g.spec, entry)
		}
		rel := name
		if g.dir != "" {
			rel = strings.TrimPrefix(name, g.dir+"/")
			if rel == name {
				continue // PATH named a file, or a sibling sharing its prefix
			}
		}
		if path.Base(name) == keys.ConfigName {
			continue
		}
		if fields[0] != "100644" && fields[0] != "100755" {
			return nil, withHint(fmt.Errorf("%s:%s: not a regular file (mode %s: a symbolic link or submodule?); nothing was promoted", g.ref, name, fields[0]),
				"replace it with the file itself in %s, or move it out of the source directory", g.ref)
		}
		files = append(files, promoteFile{rel: rel, name: g.ref + ":" + name, blob: fields[2], dst: filepath.Join(dst, filepath.FromSlash(rel))})
	}
	if len(files) == 0 {
		return nil, withHint(fmt.Errorf("SRC %s: no files under %q at %s", g.spec, g.dir, g.ref),
			"give the path from the repository's root: REF:PATH, as in git show")
	}
	slices.SortFunc(files, func(a, b promoteFile) int { return strings.Compare(a.rel, b.rel) })
	return files, nil
}

// read returns a source file's content: its blob for a git source.
func (p *promoter) read(pf promoteFile) ([]byte, error) {
	if pf.blob != "" {
		data, err := runGit(p.ctx, p.gitTop, "cat-file", "blob", pf.blob)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pf.name, err)
		}
		return data, nil
	}
	data, err := os.ReadFile(pf.src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pf.name, unwrapPathError(err))
	}
	return data, nil
}
