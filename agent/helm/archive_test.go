package helm

import (
	"archive/tar"
	"errors"
	"strings"
	"testing"
)

func TestLoadArchive(t *testing.T) {
	good := chartEntries(t, "app", "app")
	c, err := LoadArchive("app-1.0.0.tgz", tgz(t, good...), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "app" || c.Metadata.Version != "1.0.0" || len(c.Dependencies()) != 1 || c.Schema == nil {
		t.Errorf("loaded %s %s with %d dependencies, schema %v", c.Name(), c.Metadata.Version, len(c.Dependencies()), c.Schema != nil)
	}
}

func TestLoadArchiveRefuses(t *testing.T) {
	chartYAML := entry{name: "app/Chart.yaml", content: "apiVersion: v2\nname: app\nversion: 1.0.0\n"}
	big := strings.Repeat("x", 2000)
	bomb := tgz(t, chartYAML, entry{name: "app/templates/big.yaml", content: big})
	tests := []struct {
		name    string
		archive func(t *testing.T) []byte
		lim     Limits
		want    string
	}{
		{"not gzip", func(*testing.T) []byte { return []byte("plain text") }, Limits{}, "not a gzipped tar archive"},
		{"symlink", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "app/templates/x.yaml", typ: tar.TypeSymlink, link: "/etc/passwd"})
		}, Limits{}, `"app/templates/x.yaml" is a link`},
		{"hard link", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "app/templates/x.yaml", typ: tar.TypeLink, link: "app/Chart.yaml"})
		}, Limits{}, "is a link"},
		{"parent directory", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "app/../../etc/x.yaml", content: "a: b"})
		}, Limits{}, "not a path inside the chart's directory"},
		{"absolute path", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "/etc/x.yaml", content: "a: b"})
		}, Limits{}, "not a path inside"},
		{"two top directories", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "other/x.yaml", content: "a: b"})
		}, Limits{}, "two top directories"},
		{"a device", func(t *testing.T) []byte {
			return tgz(t, chartYAML, entry{name: "app/dev", typ: tar.TypeChar})
		}, Limits{}, "not a regular file"},
		{"archive too big", func(*testing.T) []byte { return bomb }, Limits{MaxArchiveSize: 10}, "over the limit of 10"},
		{"file too big", func(*testing.T) []byte { return bomb }, Limits{MaxFileSize: 1000}, "over the per-file limit of 1000"},
		{"chart too big", func(*testing.T) []byte { return bomb }, Limits{MaxChartSize: 1500}, "over 1500 bytes unpacked"},
		{"too many files", func(*testing.T) []byte { return bomb }, Limits{MaxFiles: 1}, "more than 1 files"},
		{"dependency too big unpacked", func(t *testing.T) []byte {
			dep := tgz(t, entry{name: "dep/Chart.yaml", content: "apiVersion: v2\nname: dep\nversion: 1.0.0\n"}, entry{name: "dep/big.yaml", content: strings.Repeat("y", 5000)})
			return tgz(t, chartYAML, entry{name: "app/charts/dep-1.0.0.tgz", content: string(dep)})
		}, Limits{MaxChartSize: 4000}, "charts/dep-1.0.0.tgz: chart archive refused: over 4000 bytes unpacked"},
		{"link in a dependency", func(t *testing.T) []byte {
			dep := tgz(t, entry{name: "dep/Chart.yaml", content: "apiVersion: v2\nname: dep\nversion: 1.0.0\n"}, entry{name: "dep/x", typ: tar.TypeSymlink, link: "../../.."})
			return tgz(t, chartYAML, entry{name: "app/charts/dep-1.0.0.tgz", content: string(dep)})
		}, Limits{}, "charts/dep-1.0.0.tgz"},
		{"no Chart.yaml", func(t *testing.T) []byte {
			return tgz(t, entry{name: "app/values.yaml", content: "a: b"})
		}, Limits{}, "not a valid chart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadArchive("app-1.0.0.tgz", tt.archive(t), tt.lim)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "app-1.0.0.tgz") {
				t.Fatalf("LoadArchive = %v, want an error starting with the archive and naming %q", err, tt.want)
			}
			if tt.name != "no Chart.yaml" && !errors.Is(err, ErrArchive) {
				t.Errorf("error does not wrap ErrArchive: %v", err)
			}
		})
	}
}
