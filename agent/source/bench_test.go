package source_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/source"
)

// BenchmarkFetch1000Files fetches and reads every file of a 1,000-file
// repository (100 directories of 10 manifests): into an empty cache, after
// one file changed, and with nothing new.
func BenchmarkFetch1000Files(b *testing.B) {
	x := newFixture(b)
	files := map[string][]byte{}
	for i := range 1000 {
		files[fmt.Sprintf("apps/app%03d/obj%d.yaml", i/10, i%10)] = []byte(fmt.Sprintf(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app%03d-%d\n  namespace: apps\ndata:\n  index: \"%d\"\n", i/10, i%10, i))
	}
	x.commit(b, "1000 files", files)
	url := x.srv.HTTPURL("env")
	fetchAndRead := func(b *testing.B, f *source.Fetcher) {
		rev, err := f.Fetch(ctxTimeout(b, time.Minute), "ns/env", url, source.Ref{}, x.basic)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(readAll(b, rev.FS)); n != 1000 {
			b.Fatalf("read %d files, want 1000", n)
		}
	}

	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			f := source.NewFetcher(b.TempDir(), source.Options{})
			b.StartTimer()
			fetchAndRead(b, f)
		}
	})
	b.Run("incremental", func(b *testing.B) {
		f := source.NewFetcher(b.TempDir(), source.Options{})
		fetchAndRead(b, f)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			x.commit(b, "change", map[string][]byte{"apps/app042/obj7.yaml": []byte(fmt.Sprintf("kind: ConfigMap\n# %d\n", i))})
			b.StartTimer()
			fetchAndRead(b, f)
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		f := source.NewFetcher(b.TempDir(), source.Options{})
		fetchAndRead(b, f)
		for i := 0; i < b.N; i++ {
			fetchAndRead(b, f)
		}
	})
}
