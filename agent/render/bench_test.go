package render

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
)

// benchTree is 1,000 files: 800 ConfigMaps and 200 Secrets in the fake
// encrypted format, spread over 20 directories.
func benchTree() fstest.MapFS {
	files := map[string]string{}
	for i := 0; i < 1000; i++ {
		dir := fmt.Sprintf("apps/team-%02d", i%20)
		if i%5 == 4 {
			files[fmt.Sprintf("%s/secret-%04d.yaml", dir, i)] = fakeEnc(fmt.Sprintf("key-%d", i%3), fmt.Sprintf(
				"apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-%04d\n  namespace: team\ntype: Opaque\nstringData:\n  username: app-%d\n  password: pass-%d-xxxxxxxxxxxxxxxx\n", i, i, i))
			continue
		}
		files[fmt.Sprintf("%s/config-%04d.yaml", dir, i)] = fmt.Sprintf(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-%04d\n  namespace: team\n  labels: {app: app-%d, tier: backend}\ndata:\n  LOG_LEVEL: info\n  REPLICAS: \"3\"\n  URL: https://svc-%d.example.com\n", i, i, i)
	}
	return mapFS(files)
}

func BenchmarkRenderPlain1000Files(b *testing.B) {
	fsys := benchTree()
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(context.Background(), fsys, fakeOptions(""))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Objects) != 1000 || res.KeyUsage["key-0"] == 0 {
			b.Fatalf("rendered %d objects, key usage %v", len(res.Objects), res.KeyUsage)
		}
	}
}

func BenchmarkRenderKustomize1000Files(b *testing.B) {
	fsys := benchTree()
	k := "resources:\n"
	for name := range fsys {
		k += "- " + name + "\n"
	}
	fsys["kustomization.yaml"] = &fstest.MapFile{Data: []byte(k)}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(context.Background(), fsys, fakeOptions(""))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Objects) != 1000 {
			b.Fatalf("rendered %d objects", len(res.Objects))
		}
	}
}

// BenchmarkRenderPlain1000FilesOneChanged renders the 1,000-file tree
// with a ParseCache after one ConfigMap changed, as a sync after a
// one-object commit does: 799 ConfigMaps come from the cache, the changed
// one and the 200 Secrets are read (the agent's decryptor has its own
// cache; the fake one here is cheap).
func BenchmarkRenderPlain1000FilesOneChanged(b *testing.B) {
	fsys := withIDs(benchTree())
	opts := fakeOptions("")
	opts.Parsed, opts.CacheScope = NewParseCache(0), "bench"
	if _, err := Render(context.Background(), fsys, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		f := fsys["apps/team-07/config-0007.yaml"]
		f.Data = fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-0007\n  namespace: team\ndata:\n  REV: \"%d\"\n", n)
		withIDs(fstest.MapFS{"x": f})
		res, err := Render(context.Background(), fsys, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Objects) != 1000 {
			b.Fatalf("rendered %d objects", len(res.Objects))
		}
	}
}
