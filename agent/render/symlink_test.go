package render

import (
	"context"
	"io/fs"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"
}

func names(res *Result) []string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.GetName())
	}
	return out
}

// Links that stay in the repository are followed, on MapFS and on disk.
func TestSymlinksInsideFollowed(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		files map[string]string
		want  []string
	}{
		{name: "file and directory links, read once",
			files: map[string]string{
				"apps/link.yaml":     "->../shared/one.yaml",
				"apps/linked":        "->../shared",
				"apps/self":          "->.",
				"apps/up":            "->..",
				"shared/one.yaml":    cm("one"),
				"shared/two.yaml":    cm("two"),
				"shared/chain.yaml":  "->hop.yaml",
				"shared/hop.yaml":    "->two.yaml",
				"zzz/own.yaml":       cm("own"),
				"zzz/nested/x.yaml":  "->../../shared/one.yaml",
				"zzz/.hidden.yaml":   "->/etc/passwd",
				"zzz/dangling.yaml2": "->nowhere",
			},
			want: []string{"one", "two", "own"}},
		{name: "path with a leading slash", path: "/clusters/prod/",
			files: map[string]string{"clusters/prod/a.yaml": cm("prod")},
			want:  []string{"prod"}},
		{name: "path is a link", path: "env",
			files: map[string]string{"env": "->clusters/prod", "clusters/prod/a.yaml": cm("prod")},
			want:  []string{"prod"}},
		{name: "kustomize resource and base through links", path: "a",
			files: map[string]string{
				"a/kustomization.yaml":           "resources: [cm.yaml, base]\n",
				"a/cm.yaml":                      "->files/cm.yaml",
				"a/files/cm.yaml":                cm("via-link"),
				"a/base":                         "->../shared/base",
				"shared/base/kustomization.yaml": "resources: [b.yaml]\n",
				"shared/base/b.yaml":             cm("base"),
			},
			want: []string{"base", "via-link"}},
		{name: "kustomization file is a link", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "->k.yaml",
				"a/k.yaml":             "resources: [cm.yaml]\n",
				"a/cm.yaml":            cm("linked-kustomization"),
			},
			want: []string{"linked-kustomization"}},
	}
	for _, tt := range tests {
		for _, disk := range []bool{false, true} {
			name := tt.name + "/mapfs"
			if disk {
				name = tt.name + "/disk"
			}
			t.Run(name, func(t *testing.T) {
				var fsys fs.FS = mapFS(tt.files)
				if disk {
					fsys = os.DirFS(writeTree(t, tt.files))
				}
				res, err := Render(context.Background(), fsys, fakeOptions(tt.path))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, names(res)); diff != "" {
					t.Errorf("objects (-want +got):\n%s", diff)
				}
			})
		}
	}
}
