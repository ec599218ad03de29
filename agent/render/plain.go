package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// renderPlain reads every .yaml, .yml and .json file under dir, recursively
// and in lexical order, skipping hidden files and directories. Symlinks that
// stay in the repository are followed; a file or directory reached twice
// (through a link, or a link loop) is read once, where it is met first.
func renderPlain(r *reader, dir string, res *Result) error {
	p := &plainWalk{r: r, res: res, seen: map[string]bool{dir: true}, seenFiles: map[string]bool{}}
	return p.walk(dir, dir)
}

type plainWalk struct {
	r         *reader
	res       *Result
	seen      map[string]bool // real directories already walked
	seenFiles map[string]bool // real files already read
}

// walk reads the directory at real; shown is its path as the tree shows it
// (through links), used in errors.
func (p *plainWalk) walk(shown, real string) error {
	entries, err := fs.ReadDir(p.r.fsys, real)
	if err != nil {
		return fmt.Errorf("%s: %w", shown, notFound(err))
	}
	for _, e := range entries {
		if err := p.r.ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		eShown, eReal, typ := joinPath(shown, name), joinPath(real, name), e.Type()
		if typ == fs.ModeSymlink {
			target, info, err := p.r.res.resolve(eReal)
			if errors.Is(err, fs.ErrNotExist) && !isManifestName(name) {
				continue // a dangling link to something we would not read
			}
			if err != nil {
				return err
			}
			eReal, typ = target, info.Mode().Type()
		}
		switch {
		case typ.IsDir():
			if p.seen[eReal] || p.isChart(eReal) {
				continue
			}
			p.seen[eReal] = true
			if err := p.walk(eShown, eReal); err != nil {
				return err
			}
		case typ.IsRegular() && isManifestName(name) && !isValuesName(name) && !p.seenFiles[eReal]:
			p.seenFiles[eReal] = true
			if err := p.file(eShown, eReal); err != nil {
				return err
			}
		}
	}
	return nil
}

// isChart reports whether the directory at real holds a Helm chart
// (Chart.yaml): its templates are not manifests, HelmRelease files render
// it.
func (p *plainWalk) isChart(real string) bool {
	_, err := fs.Stat(p.r.fsys, joinPath(real, "Chart.yaml"))
	return err == nil
}

// isValuesName reports whether name is a Helm values file by its name
// (values.yaml, shop-values.yaml, shop.values.yml): values files are read
// by the HelmRelease files that name them, not as manifests.
func isValuesName(name string) bool {
	base := strings.ToLower(strings.TrimSuffix(name, path.Ext(name)))
	return strings.HasSuffix(base, "values")
}

func isManifestName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// file decodes one manifest file. Plaintext from a decrypted file is wiped
// once decoded: only the objects keep the values.
//
// An unencrypted file the ParseCache holds is neither read nor decoded.
func (p *plainWalk) file(shown, real string) error {
	key, cacheable := p.r.plainKey(shown, real)
	if cacheable {
		objects, ok, err := p.r.cachedPlain(real, key)
		if err != nil {
			return err
		}
		if ok {
			for _, obj := range objects {
				if err := p.emit(shown, obj); err != nil {
					return err
				}
			}
			return nil
		}
	}
	data, encrypted, err := p.r.read(real, false)
	if err != nil {
		return err
	}
	if encrypted {
		defer clear(data)
	}
	allow := encrypted || p.r.opts.AllowPlaintextSecrets
	var decoded []*unstructured.Unstructured
	err = decodeManifests(shown, data, func(doc, _ int, obj *unstructured.Unstructured) error {
		if !allow && holdsSecretData(obj) {
			return plaintextSecretError(shown, doc, obj)
		}
		if !encrypted {
			decoded = append(decoded, obj)
		}
		return p.emit(shown, obj)
	})
	if err != nil && isKustomizationName(path.Base(shown)) {
		err = fmt.Errorf("%w (kustomization files are built only when the GitSync's path points at their directory)", err)
	}
	if err == nil && cacheable && !encrypted {
		p.r.opts.Parsed.add(key, decoded, int64(len(data)))
	}
	return err
}

// emit adds one object of the file shown to the result.
func (p *plainWalk) emit(shown string, obj *unstructured.Unstructured) error {
	if err := p.r.lim.add(shown, 1); err != nil {
		return err
	}
	p.res.Objects = append(p.res.Objects, obj)
	p.res.Sources = append(p.res.Sources, shown)
	return nil
}

func isKustomizationName(name string) bool {
	for _, n := range kustomizationNames {
		if n == name {
			return true
		}
	}
	return false
}
