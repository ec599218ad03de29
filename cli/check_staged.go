package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// runGit runs a git command in dir and returns its standard output. Its error
// carries git's own message (git never prints blob contents in errors).
func runGit(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, withHint(fmt.Errorf("git is not installed or not on PATH"), "install git, or run seal check without --staged")
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

// gitTopLevel returns the root of the work tree containing dir, with
// symbolic links resolved (as git resolves them).
func gitTopLevel(ctx context.Context, dir string) (string, error) {
	out, err := runGit(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", withHint(fmt.Errorf("%s: not inside a git work tree: %w", dir, err),
			"run it inside a git repository")
	}
	return filepath.Clean(strings.TrimSpace(string(out))), nil
}

// stagedSources returns the files git has staged for the next commit
// (added, copied, modified or renamed; not deleted), restricted to the
// paths in args when there are any, with their content read from the index
// rather than the work tree: a file fixed in the work tree but staged with
// a plaintext value is still caught. Like a directory walk, only YAML and
// JSON files are taken, unless a file is named in args.
func stagedSources(ctx context.Context, wd string, args []string) ([]auditFile, error) {
	top, err := gitTopLevel(ctx, wd)
	if err != nil {
		return nil, err
	}
	out, err := runGit(ctx, top, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames")
	if err != nil {
		return nil, err
	}
	var filters []string
	for _, a := range args {
		filters = append(filters, wdPath(wd, a))
	}
	var srcs []auditFile
	for _, rel := range strings.Split(string(out), "\x00") {
		if rel == "" {
			continue
		}
		abs := filepath.Join(top, filepath.FromSlash(rel))
		named, under := stagedMatch(abs, filters)
		if !under || (!named && (!isManifestName(abs) || filepath.Base(abs) == ".sops.yaml")) {
			continue
		}
		s := auditFile{Name: relToWD(wd, abs), Abs: abs}
		data, err := runGit(ctx, top, "show", ":"+rel)
		if err != nil {
			return nil, fmt.Errorf("%s: reading the staged version: %w", s.Name, err)
		}
		s.Data = data
		srcs = append(srcs, s)
	}
	slices.SortFunc(srcs, func(a, b auditFile) int { return strings.Compare(a.Name, b.Name) })
	return srcs, nil
}

// stagedMatch reports whether abs is one of the filter paths itself
// (named) or lies under one (under). No filters take everything.
func stagedMatch(abs string, filters []string) (named, under bool) {
	if len(filters) == 0 {
		return false, true
	}
	for _, f := range filters {
		if abs == f {
			return true, true
		}
		if strings.HasPrefix(abs, f+string(filepath.Separator)) || f == string(filepath.Separator) {
			under = true
		}
	}
	return false, under
}
