package helm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
)

// entry is one member of a test archive.
type entry struct {
	name    string
	content string
	typ     byte // tar.TypeReg when 0
	link    string
}

// tgz packs entries into a gzipped tar archive.
func tgz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typ, Linkname: e.link, Size: int64(len(e.content))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.content)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartEntries are the files of testdata/charts/<name>, as archive entries
// under top/.
func chartEntries(t *testing.T, name, top string) []entry {
	t.Helper()
	var out []entry
	for _, f := range chartFiles(t, name) {
		out = append(out, entry{name: top + "/" + f.Name, content: string(f.Data)})
	}
	return out
}

// chartFiles reads testdata/charts/<name>.
func chartFiles(t *testing.T, name string) []*loader.BufferedFile {
	t.Helper()
	root := filepath.Join("testdata", "charts", name)
	var files []*loader.BufferedFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, &loader.BufferedFile{Name: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
