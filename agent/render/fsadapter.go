package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// vroot is where the repository appears to kustomize. Kustomize joins and
// cleans absolute paths itself, so "../../.." from a shallow directory
// clamps to "/"; rooting the repository one level down makes every such
// path land outside vroot, where the adapter refuses it.
const vroot = "/seal-repo"

// adapter presents the revision to kustomize as a read-only
// filesys.FileSystem. Every path is confined by the resolver, every read goes
// through the reader (caps, decryption), and policy checks run on what is
// read. The first policy error is kept in fatal: kustomize sometimes
// swallows errors and tries another interpretation of a path, so Render
// fails on fatal whatever kustomize then returns.
type adapter struct {
	r       *reader
	scan    *scanner
	fatal   error
	secrets map[string]bool // files holding plaintext secret data
}

var _ filesys.FileSystem = (*adapter)(nil)

func newAdapter(r *reader, s *scanner) *adapter {
	a := &adapter{r: r, scan: s, secrets: map[string]bool{}}
	if r.opts.AllowPlaintextSecrets {
		// Only then may a secretGenerator hold plaintext literals.
		for f := range s.secretKust {
			a.secrets[f] = true
		}
	}
	return a
}

func virtual(real string) string {
	if real == "." {
		return vroot
	}
	return vroot + "/" + real
}

func (a *adapter) fail(err error) error {
	if a.fatal == nil {
		a.fatal = err
	}
	return err
}

// rel maps a kustomize path to a repository-relative one.
func (a *adapter) rel(p string) (string, error) {
	if err := a.r.ctx.Err(); err != nil {
		return "", a.fail(err)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(vroot, p)
	}
	p = filepath.ToSlash(filepath.Clean(p))
	if p == vroot {
		return ".", nil
	}
	if rest, ok := strings.CutPrefix(p, vroot+"/"); ok {
		return rest, nil
	}
	return "", fmt.Errorf("%s: %w", p, ErrOutsideRepository)
}

// lookup resolves a kustomize path; escapes are fatal, a missing file is not.
func (a *adapter) lookup(p string) (string, fs.FileInfo, error) {
	rel, err := a.rel(p)
	if err != nil {
		return "", nil, a.fail(err)
	}
	real, info, err := a.r.res.resolve(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, a.fail(err)
	}
	return real, info, err
}

func (a *adapter) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	real, info, err := a.lookup(p)
	if err != nil {
		return "", "", err
	}
	if info.IsDir() {
		return filesys.ConfirmedDir(virtual(real)), "", nil
	}
	return filesys.ConfirmedDir(virtual(path.Dir(real))), path.Base(real), nil
}

func (a *adapter) Exists(p string) bool {
	_, _, err := a.lookup(p)
	return err == nil
}

func (a *adapter) IsDir(p string) bool {
	_, info, err := a.lookup(p)
	return err == nil && info.IsDir()
}

func (a *adapter) ReadDir(p string) ([]string, error) {
	real, _, err := a.lookup(p)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(a.r.fsys, real)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", real, notFound(err))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// ReadFile returns a file's content, decrypted if it is SOPS-encrypted.
func (a *adapter) ReadFile(p string) ([]byte, error) {
	real, info, err := a.lookup(p)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", real)
	}
	if isKustomizationName(path.Base(real)) && !a.scan.kfiles[real] {
		// Every kustomization kustomize builds must have been checked by the
		// scanner (remote references, literals); fail closed if one was not.
		return nil, a.fail(fmt.Errorf("%s: %w: kustomization file read without being checked; refer to its directory instead", real, ErrUnsupported))
	}
	data, encrypted, err := a.r.read(real, a.scan.whole[real])
	if err != nil {
		return nil, a.fail(err)
	}
	if err := a.check(real, data, encrypted); err != nil {
		return nil, a.fail(err)
	}
	return data, nil
}

// check applies the policies to one file kustomize is about to parse.
func (a *adapter) check(real string, data []byte, encrypted bool) error {
	if err := checkYAMLShape(real, data); err != nil {
		return err
	}
	if encrypted {
		return nil // kustomize reads tokens, never the values
	}
	if gen, ok := a.scan.mustEncrypt[real]; ok {
		if !a.r.opts.AllowPlaintextSecrets {
			return fmt.Errorf("%s: %w: %s reads this file, which is not SOPS-encrypted; encrypt it with seal or sops, or allow plaintext Secrets", real, ErrPlaintextSecret, gen)
		}
		a.secrets[real] = true
		return nil
	}
	if a.scan.kfiles[real] || !fileHoldsSecretData(data) {
		return nil
	}
	if !a.r.opts.AllowPlaintextSecrets {
		return fmt.Errorf("%s: %w: the file holds a Secret with data and is not SOPS-encrypted; encrypt it with seal or sops, or allow plaintext Secrets", real, ErrPlaintextSecret)
	}
	a.secrets[real] = true
	return nil
}

func (a *adapter) Open(p string) (filesys.File, error) {
	data, err := a.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), name: path.Base(p), size: int64(len(data))}, nil
}

var errReadOnly = errors.New("the repository is read-only during a render")

func (a *adapter) Create(p string) (filesys.File, error) {
	return nil, fmt.Errorf("%s: %w", p, errReadOnly)
}
func (a *adapter) Mkdir(p string) error               { return fmt.Errorf("%s: %w", p, errReadOnly) }
func (a *adapter) MkdirAll(p string) error            { return fmt.Errorf("%s: %w", p, errReadOnly) }
func (a *adapter) RemoveAll(p string) error           { return fmt.Errorf("%s: %w", p, errReadOnly) }
func (a *adapter) WriteFile(p string, _ []byte) error { return fmt.Errorf("%s: %w", p, errReadOnly) }

// Glob and Walk are not used by kustomize builds (only by its edit and
// localize commands), so they are refused rather than implemented.
func (a *adapter) Glob(pattern string) ([]string, error) {
	return nil, fmt.Errorf("%s: glob: %w", pattern, ErrUnsupported)
}

func (a *adapter) Walk(p string, _ filepath.WalkFunc) error {
	return fmt.Errorf("%s: walk: %w", p, ErrUnsupported)
}

// memFile is a read-only filesys.File over bytes already read.
type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Write([]byte) (int, error) { return 0, errReadOnly }
func (f *memFile) Close() error              { return nil }
func (f *memFile) Stat() (os.FileInfo, error) {
	return memInfo{name: f.name, size: f.size}, nil
}

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
