package render

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// mapFS builds an fstest.MapFS; values starting with "->" are symlinks.
func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, content := range files {
		if target, ok := strings.CutPrefix(content, "->"); ok {
			m[name] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
			continue
		}
		m[name] = &fstest.MapFile{Data: []byte(content), Mode: 0o644}
	}
	return m
}

const (
	cmYAML     = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
	secretYAML = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: app}\nstringData: {password: hunter2}\n"
)

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		disk     bool // use os.DirFS on a temp dir instead of a MapFS
		opts     func(*Options)
		is       error
		contains []string
	}{
		{name: "broken YAML", files: map[string]string{"ok.yaml": cmYAML, "apps/bad.yaml": cmYAML + "---\nkind: [\n"},
			is: ErrInvalidManifest, contains: []string{"apps/bad.yaml", "document 2", "line"}},
		{name: "missing name", files: map[string]string{"a.yaml": cmYAML + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"},
			is: ErrInvalidManifest, contains: []string{"a.yaml: document 2", "metadata.name"}},
		{name: "missing kind in List item", files: map[string]string{"l.yaml": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, metadata: {name: x}}\n"},
			is: ErrInvalidManifest, contains: []string{"l.yaml: document 1 item 1", "kind"}},
		{name: "non-manifest YAML", files: map[string]string{"config/settings.yaml": "logLevel: debug\n"},
			is: ErrInvalidManifest, contains: []string{"config/settings.yaml: document 1", "apiVersion"}},
		{name: "scalar document", files: map[string]string{"s.yaml": "just a string\n"},
			is: ErrInvalidManifest, contains: []string{"s.yaml: document 1", "mapping"}},
		{name: "kustomization below the path", files: map[string]string{"app/kustomization.yaml": "resources: [cm.yaml]\n"},
			is: ErrInvalidManifest, contains: []string{"app/kustomization.yaml", "GitSync's path"}},
		{name: "recursive alias in plain YAML", files: map[string]string{"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a, x: *m}\n"},
			is: ErrInvalidManifest, contains: []string{"a.yaml: document 1"}},
		{name: "symlink to /etc/passwd", disk: true, files: map[string]string{"ok.yaml": cmYAML, "apps/passwd.yaml": "->/etc/passwd"},
			is: ErrOutsideRepository, contains: []string{"apps/passwd.yaml", "/etc/passwd"}},
		{name: "symlink climbing out", files: map[string]string{"apps/x/link.yaml": "->../../../etc/passwd"},
			is: ErrOutsideRepository, contains: []string{"apps/x/link.yaml"}},
		{name: "symlink climbing out on disk", disk: true, files: map[string]string{"apps/x/link.yaml": "->../../../../../../../../etc/passwd"},
			is: ErrOutsideRepository, contains: []string{"apps/x/link.yaml"}},
		{name: "link leaving the repository with any name", files: map[string]string{"a.yaml": cmYAML, "docs/notes.txt": "->/etc/passwd"},
			is: ErrOutsideRepository, contains: []string{"docs/notes.txt"}},
		{name: "dangling manifest link", files: map[string]string{"a.yaml": "->gone.yaml"},
			is: fs.ErrNotExist, contains: []string{"a.yaml"}},
		{name: "symlink loop", files: map[string]string{"a.yaml": "->b.yaml", "b.yaml": "->a.yaml"},
			contains: []string{"too many levels of symbolic links"}},
		{name: "path climbing out", files: map[string]string{"a.yaml": cmYAML}, opts: func(o *Options) { o.Path = "apps/../../x" },
			is: ErrOutsideRepository, contains: []string{"apps/../../x"}},
		{name: "path through a link climbing out", files: map[string]string{"env": "->../outside"}, opts: func(o *Options) { o.Path = "env" },
			is: ErrOutsideRepository, contains: []string{"env"}},
		{name: "file over cap", files: map[string]string{"small.yaml": cmYAML, "big/huge.yaml": cmYAML + "data:\n  x: " + strings.Repeat("a", 300) + "\n"},
			opts: func(o *Options) { o.MaxFileSize = 200 }, is: ErrLimit, contains: []string{"big/huge.yaml", "MaxFileSize", "split it"}},
		{name: "total over cap", files: map[string]string{"a.yaml": cmYAML, "b.yaml": cmYAML, "c.yaml": cmYAML},
			opts: func(o *Options) { o.MaxTotalSize = 100 }, is: ErrLimit, contains: []string{"b.yaml", "MaxTotalSize", "--max-render-size"}},
		{name: "too many objects", files: map[string]string{"a.yaml": cmYAML + "---\n" + cmYAML + "---\n" + cmYAML},
			opts: func(o *Options) { o.MaxObjects = 2 }, is: ErrLimit, contains: []string{"a.yaml", "MaxObjects", "split the repository"}},
		{name: "plaintext Secret", files: map[string]string{"cm.yaml": cmYAML, "app/secret.yaml": cmYAML + "---\n" + secretYAML},
			is: ErrPlaintextSecret, contains: []string{"app/secret.yaml: document 2", "app/creds"}},
		{name: "plaintext Secret in a List", files: map[string]string{"l.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  data: {k: dg==}\n"},
			is: ErrPlaintextSecret, contains: []string{"l.yaml: document 1"}},
		{name: "decryption error", files: map[string]string{"app/secret.yaml": fakeEnc("k1", "FAIL-DECRYPT")},
			is: ErrDecryption, contains: []string{"app/secret.yaml", "MAC mismatch"}},
		{name: "no decryptor", files: map[string]string{"app/secret.yaml": fakeEnc("k1", secretYAML)}, opts: func(o *Options) { o.Decryptor = nil },
			is: ErrDecryption, contains: []string{"app/secret.yaml", "no decryptor"}},
		{name: "decryptor panic recovered", files: map[string]string{"app/secret.yaml": fakeEnc("k1", "PANIC-DECRYPT")},
			is: ErrPanic, contains: []string{"app/secret.yaml"}},
		{name: "path is a file", files: map[string]string{"a.yaml": cmYAML}, opts: func(o *Options) { o.Path = "a.yaml" },
			contains: []string{"a.yaml", "not a directory"}},
		{name: "path missing", files: map[string]string{"a.yaml": cmYAML}, opts: func(o *Options) { o.Path = "nope" },
			is: fs.ErrNotExist, contains: []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fsys fs.FS = mapFS(tt.files)
			if tt.disk {
				fsys = os.DirFS(writeTree(t, tt.files))
			}
			opts := fakeOptions("")
			if tt.opts != nil {
				tt.opts(&opts)
			}
			res, err := Render(context.Background(), fsys, opts)
			if err == nil {
				t.Fatalf("Render returned %d objects; want an error", len(res.Objects))
			}
			wantErr(t, err, tt.is, tt.contains...)
		})
	}
}

func TestRenderCancelled(t *testing.T) {
	for _, path := range []string{"plain", "kust"} {
		t.Run(path, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			fsys := mapFS(map[string]string{"plain/a.yaml": cmYAML, "kust/kustomization.yaml": "resources: [a.yaml]\n", "kust/a.yaml": cmYAML})
			_, err := Render(ctx, fsys, fakeOptions(path))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v; want context.Canceled", err)
			}
		})
	}
}

func TestRenderRequiresIsEncrypted(t *testing.T) {
	_, err := Render(context.Background(), mapFS(map[string]string{"a.yaml": cmYAML}), Options{})
	wantErr(t, err, nil, "IsEncrypted")
}
