package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seal-gitops/seal/crypto"
)

// auditFile is one file to look at: its name as shown to the user (relative
// to the working directory when inside it), its absolute path, and, once
// read, its content.
type auditFile struct {
	Name string
	Abs  string
	Data []byte
}

// manifestExts are the extensions check, rotate and list look at when they
// walk a directory: Kubernetes manifests and SOPS files in YAML or JSON.
var manifestExts = []string{".yaml", ".yml", ".json"}

func isManifestName(name string) bool {
	return slices.Contains(manifestExts, strings.ToLower(filepath.Ext(name)))
}

// skippedDirs are never walked into: git's own files, and JavaScript
// dependencies (thousands of JSON files, never a manifest of ours).
var skippedDirs = []string{".git", "node_modules"}

// relToWD shows abs relative to wd when it lies inside wd.
func relToWD(wd, abs string) string {
	if rel, err := filepath.Rel(wd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(rel)
	}
	return abs
}

// collectAuditFiles lists the files named by args (default: the working
// directory): a file is taken whatever its extension; a directory is
// walked for YAML and JSON files, skipping .git, node_modules and
// .sops.yaml itself. Symbolic links met while walking are not followed.
// The result is sorted and free of duplicates.
func collectAuditFiles(wd string, args []string) ([]auditFile, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	seen := map[string]bool{}
	var out []auditFile
	add := func(abs string) {
		if !seen[abs] {
			seen[abs] = true
			out = append(out, auditFile{Name: relToWD(wd, abs), Abs: abs})
		}
	}
	for _, arg := range args {
		root := wdPath(wd, arg)
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, unwrapPathError(err))
		}
		if !fi.IsDir() {
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w", relToWD(wd, p), unwrapPathError(err))
			}
			if d.IsDir() {
				if p != root && slices.Contains(skippedDirs, d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && isManifestName(p) && d.Name() != ".sops.yaml" {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b auditFile) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// unwrapPathError drops the path an *fs.PathError repeats, since our
// messages already start with it.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readAuditFile reads a file, at most crypto.MaxFileSize+1 bytes of it: a
// larger file is refused by the crypto functions and by check, which can
// still tell from its start whether it looks like a Secret.
func readAuditFile(s *auditFile) error {
	fh, err := os.Open(s.Abs)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, unwrapPathError(err))
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, crypto.MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, unwrapPathError(err))
	}
	s.Data = data
	return nil
}
