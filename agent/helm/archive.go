package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// Limits cap what one chart may hold.
type Limits struct {
	// MaxArchiveSize caps a chart archive as downloaded (compressed).
	MaxArchiveSize int64
	// MaxChartSize caps the decompressed bytes of one chart, its
	// dependencies included.
	MaxChartSize int64
	// MaxFileSize caps one file of a chart.
	MaxFileSize int64
	// MaxFiles caps the number of files of one chart.
	MaxFiles int
	// MaxManifestSize caps the rendered manifests of one release.
	MaxManifestSize int64
}

// DefaultLimits are generous for real charts: the largest charts in common
// use (CRD bundles included) are a few MiB unpacked.
func DefaultLimits() Limits {
	return Limits{MaxArchiveSize: 10 << 20, MaxChartSize: 32 << 20, MaxFileSize: 4 << 20, MaxFiles: 5000, MaxManifestSize: 32 << 20}
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxArchiveSize <= 0 {
		l.MaxArchiveSize = d.MaxArchiveSize
	}
	if l.MaxChartSize <= 0 {
		l.MaxChartSize = d.MaxChartSize
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxManifestSize <= 0 {
		l.MaxManifestSize = d.MaxManifestSize
	}
	return l
}

// ErrArchive is what every refused chart archive wraps.
var ErrArchive = errors.New("chart archive refused")

// LoadArchive loads a gzipped chart archive named name within lim.
//
// Helm's own loader.LoadArchive checks paths too, but its size caps are
// process-wide variables and it loads a symbolic link as an empty file; this
// reader keeps the caps per call and refuses links, devices and any path
// that leaves the chart's directory, then hands the files to
// loader.LoadFiles, which builds the chart (dependencies under charts/
// included, each archive again through Helm's checks).
func LoadArchive(name string, data []byte, lim Limits) (*chart.Chart, error) {
	lim = lim.orDefault()
	if int64(len(data)) > lim.MaxArchiveSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, over the limit of %d", name, ErrArchive, len(data), lim.MaxArchiveSize)
	}
	files, err := archiveFiles(name, data, lim)
	if err != nil {
		return nil, err
	}
	return loadFiles(name, files, lim)
}

func archiveFiles(name string, data []byte, lim Limits) ([]*loader.BufferedFile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: not a gzipped tar archive", name, ErrArchive)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var files []*loader.BufferedFile
	var total int64
	top := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: unreadable tar archive", name, ErrArchive)
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeXGlobalHeader, tar.TypeXHeader:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("%s: %w: %s is a link; charts must hold regular files only", name, ErrArchive, shown(h.Name))
		default:
			return nil, fmt.Errorf("%s: %w: %s is not a regular file", name, ErrArchive, shown(h.Name))
		}
		first, rest, ok := strings.Cut(h.Name, "/")
		clean := path.Clean(rest)
		switch {
		case !ok || rest == "" || first == "" || first == "." || first == ".." || strings.Contains(h.Name, "\\") || path.IsAbs(rest) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../"):
			return nil, fmt.Errorf("%s: %w: %s is not a path inside the chart's directory", name, ErrArchive, shown(h.Name))
		case top != "" && first != top:
			return nil, fmt.Errorf("%s: %w: files of two top directories (%s, %s)", name, ErrArchive, shown(top), shown(first))
		}
		top = first
		if len(files) == lim.MaxFiles {
			return nil, fmt.Errorf("%s: %w: more than %d files", name, ErrArchive, lim.MaxFiles)
		}
		if h.Size > lim.MaxFileSize {
			return nil, fmt.Errorf("%s: %w: %s is %d bytes, over the per-file limit of %d", name, ErrArchive, shown(h.Name), h.Size, lim.MaxFileSize)
		}
		if total+h.Size > lim.MaxChartSize {
			return nil, fmt.Errorf("%s: %w: over %d bytes unpacked", name, ErrArchive, lim.MaxChartSize)
		}
		b, err := io.ReadAll(io.LimitReader(tr, h.Size+1))
		if err != nil || int64(len(b)) != h.Size {
			return nil, fmt.Errorf("%s: %w: %s is truncated or longer than its header says", name, ErrArchive, shown(h.Name))
		}
		total += h.Size
		files = append(files, &loader.BufferedFile{Name: clean, Data: b})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w: no files", name, ErrArchive)
	}
	return files, nil
}

// loadFiles builds a chart from its files, recovering from a panic in
// Helm's loader.
func loadFiles(name string, files []*loader.BufferedFile, lim Limits) (c *chart.Chart, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("%s: %w: the chart loader panicked (recovered)", name, ErrArchive)
		}
	}()
	total := int64(0)
	if err := checkNested(name, files, lim, &total, 0); err != nil {
		return nil, err
	}
	c, err = loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid chart: %w", name, err)
	}
	return c, nil
}

// maxNesting is how deep dependency archives may nest (charts/ of charts/).
const maxNesting = 8

// checkNested counts the bytes of files and, unpacked through archiveFiles,
// of every dependency archive under charts/, so that Helm's loader, which
// unpacks them with its own process-wide caps, never meets one over ours.
func checkNested(name string, files []*loader.BufferedFile, lim Limits, total *int64, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("%s: %w: dependencies nested more than %d deep", name, ErrArchive, maxNesting)
	}
	for _, f := range files {
		*total += int64(len(f.Data))
		if *total > lim.MaxChartSize {
			return fmt.Errorf("%s: %w: over %d bytes unpacked, dependencies included", name, ErrArchive, lim.MaxChartSize)
		}
		if !isDependencyArchive(f.Name) {
			continue
		}
		inner, err := archiveFiles(name+": "+f.Name, f.Data, lim)
		if err != nil {
			return err
		}
		if err := checkNested(name+": "+f.Name, inner, lim, total, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// isDependencyArchive reports whether p is an archive Helm's loader
// unpacks as a dependency: charts/<name>.tgz, at any depth of charts/.
func isDependencyArchive(p string) bool {
	dir, file := path.Split(p)
	return (dir == "charts/" || strings.HasSuffix(dir, "/charts/")) && strings.HasSuffix(file, ".tgz")
}

// LoadFiles builds a chart from the files of a chart directory (paths
// relative to it, slash-separated), within lim.
func LoadFiles(name string, files []*loader.BufferedFile, lim Limits) (*chart.Chart, error) {
	return loadFiles(name, files, lim.orDefault())
}

// shown quotes an archive path for a message, cut to a readable length.
func shown(p string) string {
	if len(p) > 100 {
		p = p[:100] + "..."
	}
	return fmt.Sprintf("%q", p)
}
