package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/crypto"
)

// Decryptor opens SOPS-encrypted files. The agent's crypto package provides
// the real one.
type Decryptor interface {
	// Decrypt opens a SOPS-encrypted file (MAC verified) and returns it with
	// a token in place of each value (crypto.DecryptTokens; with whole, one
	// token for the whole file, as a generator's files: entry reads it).
	// Errors name the file and never contain values.
	Decrypt(name string, data []byte, whole bool) (*Decrypted, error)
}

// ContentDecryptor is a Decryptor that also remembers the files it opened
// by their content id (the git blob hash agent/source's tree tells), so a
// file unchanged since an earlier render is neither read nor decrypted
// again. A content id names the file's bytes: the same id, the same bytes,
// so what Opened returns is what decrypting the file again would return.
type ContentDecryptor interface {
	Decryptor
	// Opened returns what DecryptContent returned for the file name with
	// content id id, opened the same way (whole), when it still holds it.
	Opened(name, id string, whole bool) (*Decrypted, bool)
	// DecryptContent is Decrypt for a file whose content id is id; it
	// remembers the result for Opened.
	DecryptContent(name, id string, data []byte, whole bool) (*Decrypted, error)
}

// Decrypted is a file a Decryptor opened.
type Decrypted struct {
	// Text is what the renderer reads in place of the file: values stand
	// as tokens.
	Text []byte
	// KeyID names the key that opened the file, for per-key counts.
	KeyID string
	// Values are the values the tokens of Text stand for.
	Values []crypto.SealedValue
	// Size is the length of the encrypted file, counted against the size
	// caps when the file is taken from a ContentDecryptor unread.
	Size int64
}

// Options says what to render and within which limits.
type Options struct {
	// Path is a directory within the file system, slash-separated; "", "."
	// and "/" are the root, and a leading "./" or "/" is dropped. A
	// kustomization there selects kustomize mode.
	Path string
	// Decryptor opens SOPS-encrypted files; nil fails any encrypted file.
	Decryptor Decryptor
	// IsEncrypted is the cheap SOPS detection applied to every file read.
	// Required.
	IsEncrypted func([]byte) bool
	// AllowPlaintextSecrets lets Secrets with data come from unencrypted
	// files and secretGenerator literals or plaintext files.
	AllowPlaintextSecrets bool
	// MaxFileSize caps each file, checked before it is read
	// (DefaultMaxFileSize when 0).
	MaxFileSize int64
	// MaxTotalSize caps the bytes read by the whole render, re-reads
	// included (DefaultMaxTotalSize when 0).
	MaxTotalSize int64
	// MaxObjects caps the number of objects rendered (DefaultMaxObjects when 0).
	MaxObjects int
	// Charts downloads charts from chart repositories for HelmRelease
	// files, keeping them by digest; a fetcher of its own, for this
	// render only, when nil.
	Charts *helm.Fetcher
	// ChartCredentials reads the Secret a HelmRelease's
	// spec.chart.secretRef names (in the GitSync's namespace, as the
	// GitSync's service account); a release naming one fails when nil.
	ChartCredentials func(ctx context.Context, secretName string) (*helm.Credentials, error)
	// Capabilities returns the cluster's version and API versions for
	// Helm templates; called only when the render holds a HelmRelease.
	// Helm's defaults when nil.
	Capabilities func(context.Context) (helm.Capabilities, error)
	// Parsed keeps the objects of unencrypted files in plain mode between
	// renders (see ParseCache); nil decodes every file.
	Parsed *ParseCache
	// CacheScope names whose render this is (the GitSync) in every key of
	// Parsed, so renders for different owners never share an entry.
	CacheScope string
}

// helmLimits are the caps of one chart: Helm's defaults, with a chart
// file capped like any other file.
func (o *Options) helmLimits() helm.Limits {
	lim := helm.DefaultLimits()
	if o.MaxFileSize > 0 {
		lim.MaxFileSize = o.MaxFileSize
	}
	return lim
}

// Result is what a render produced.
type Result struct {
	// Objects in a deterministic order: plain mode keeps file (lexical) and
	// document order; kustomize mode uses kustomize's legacy kind order.
	Objects []*unstructured.Unstructured
	// Sources names, for each object of Objects, the file it came from
	// (in kustomize mode, the kustomization that built it; for an object
	// a Helm chart rendered, that file, the release and the template), so
	// errors about an object can name a file.
	Sources []string
	// Owners names, for each object of Objects, the Helm release that
	// rendered it ("HelmRelease/<namespace>/<name>"), or "". Nil when the
	// render held no HelmRelease.
	Owners []string
	// Releases are the HelmRelease files the render expanded, in order.
	Releases []Release
	// Sealed are the values that tokens in Objects stand for, each token
	// once. Objects hold tokens, never these values: the seal check
	// (agent/sealcheck) decides where each may go and swaps them in.
	Sealed []crypto.SealedValue
	// KeyUsage counts, per key id, the distinct files that key decrypted.
	KeyUsage map[string]int
	// Files is the number of distinct files read.
	Files int
}

// kustomizationNames are the file names kustomize recognizes, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Render reads the manifests under opts.Path of fsys and returns the objects
// they describe. fsys must implement fs.ReadLinkFS so that symlinks can be
// confined to the repository; it is never written.
func Render(ctx context.Context, fsys fs.FS, opts Options) (*Result, error) {
	if opts.IsEncrypted == nil {
		return nil, errors.New("render: Options.IsEncrypted is required")
	}
	if _, ok := fsys.(fs.ReadLinkFS); !ok {
		return nil, errors.New("render: the file system must implement fs.ReadLinkFS so symlinks can be confined")
	}
	r := newReader(ctx, fsys, &opts)
	dir, info, err := r.res.resolve(strings.TrimLeft(opts.Path, "/"))
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", opts.Path, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("path %q: not a directory", opts.Path)
	}
	res := &Result{}
	kfile, err := findKustomization(r.res, dir)
	if err != nil {
		return nil, err
	}
	if kfile != "" {
		err = renderKustomize(r, dir, kfile, res)
	} else {
		err = renderPlain(r, dir, res)
	}
	if err != nil {
		return nil, err
	}
	if err := expandReleases(r, res); err != nil {
		return nil, err
	}
	r.result(res)
	return res, nil
}

// findKustomization returns the real path of the kustomization file in dir,
// or "" when there is none.
func findKustomization(res *resolver, dir string) (string, error) {
	for _, n := range kustomizationNames {
		real, info, err := res.resolve(joinPath(dir, n))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return "", err
		case info.Mode().IsRegular():
			return real, nil
		}
	}
	return "", nil
}

func joinPath(dir, name string) string {
	if dir == "." || dir == "" {
		return name
	}
	return dir + "/" + name
}
