package source_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/test/gitserver"
)

// tempFiles lists go-git's temporary pack and object files under cache.
func tempFiles(t *testing.T, cache string) []string {
	t.Helper()
	found, err := gitserver.TempPackFiles(cache)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// openTempFiles lists the files this process holds open whose name is one
// of go-git's temporary pack files (removed ones show as "(deleted)").
func openTempFiles(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var open []string
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.Contains(target, "tmp_pack_") {
			open = append(open, target)
		}
	}
	return open
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFetchOverTheCap commits, after a small first commit, a file that
// does not compress (the pack is over the cap) or one that compresses to
// almost nothing but unpacks to more than the cap: over HTTP and over SSH
// the fetch fails with ErrFetchTooLarge naming the URL and the cap, the
// cached repository keeps what it had (no new pack, no temporary file,
// the first commit still served from it), and a Fetcher with a larger cap
// over the same cache fetches the commit.
func TestFetchOverTheCap(t *testing.T) {
	const limit = 256 << 10
	for _, tc := range []struct {
		name    string
		files   func(t *testing.T) map[string][]byte
		mention string
	}{
		{"pack over the cap", func(t *testing.T) map[string][]byte {
			files := map[string][]byte{}
			for i := range 8 { // each under the cap, all together twice over it
				files[fmt.Sprintf("apps/large-%d.bin", i)] = randomBytes(t, limit/4)
			}
			return files
		}, "the fetch downloaded more than the agent's limit of 256.0 KiB"},
		{"object over the cap", func(*testing.T) map[string][]byte {
			return map[string][]byte{"apps/large.bin": make([]byte, 16*limit)} // a few KiB packed
		}, "an object in the fetched pack unpacks to 4.0 MiB"},
	} {
		for _, transport := range []string{"http", "ssh"} {
			t.Run(tc.name+" over "+transport, func(t *testing.T) {
				x := newFixture(t)
				url, auth := x.srv.HTTPURL("env"), x.basic
				if transport == "ssh" {
					url, auth = x.srv.SSHURL("env"), x.sshAuth()
				}
				first := x.commit(t, "first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
				small := source.NewFetcher(x.cache, source.Options{MaxFetchSize: limit})
				if _, err := small.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{}, auth); err != nil {
					t.Fatal(err)
				}
				before := packs(t, x.cache)

				files := tc.files(t)
				second := x.commit(t, "large files", files)
				_, err := small.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{}, auth)
				display := strings.Replace(url, "git@", "", 1) // messages show no userinfo
				checkErr(t, err, source.ErrFetchTooLarge, []string{display, tc.mention, "--max-fetch-size=262144",
					"raise --max-fetch-size"})
				if diff := cmp.Diff(before, packs(t, x.cache)); diff != "" {
					t.Errorf("packs after the refused fetch (-before +after):\n%s", diff)
				}
				if tmp := tempFiles(t, x.cache); len(tmp) > 0 {
					t.Errorf("the refused fetch left temporary files: %v", tmp)
				}
				// Nor holds them open (their space would not come back).
				var open []string
				for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
					if open = openTempFiles(t); len(open) == 0 {
						break
					}
				}
				if len(open) > 0 {
					t.Errorf("temporary files still open after the refused fetch: %v", open)
				}
				rev, err := small.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{Commit: first}, auth)
				if err != nil {
					t.Fatalf("the first commit, cached before the refused fetch: %v", err)
				}
				if diff := cmp.Diff(map[string]string{"apps/cm.yaml": "kind: ConfigMap\n"}, readAll(t, rev.FS)); diff != "" {
					t.Errorf("first commit's files after the refused fetch (-want +got):\n%s", diff)
				}

				large := source.NewFetcher(x.cache, source.Options{MaxFetchSize: 32 * limit})
				rev, err = large.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{}, auth)
				if err != nil {
					t.Fatalf("under a larger cap: %v", err)
				}
				if rev.SHA != second {
					t.Errorf("under a larger cap fetched %s, want %s", rev.SHA, second)
				}
				for name, content := range files {
					data, err := fs.ReadFile(rev.FS, name)
					if err != nil || !bytes.Equal(data, content) {
						t.Errorf("%s under a larger cap: %d bytes (want %d), %v", name, len(data), len(content), err)
					}
				}
			})
		}
	}
}

// TestFetchUnderTheCapByDefault fetches a commit with a file of a few
// MiB with the zero Options: the default cap (256 MiB) lets it through.
func TestFetchUnderTheCapByDefault(t *testing.T) {
	x := newFixture(t)
	content := randomBytes(t, 3<<20)
	sha := x.commit(t, "a file of 3 MiB", map[string][]byte{"data.bin": content})
	rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), "ns/env", x.srv.HTTPURL("env"), source.Ref{}, x.basic)
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(rev.FS, "data.bin")
	if rev.SHA != sha || err != nil || !bytes.Equal(data, content) {
		t.Errorf("fetched %s (want %s), data.bin %d bytes (want %d), %v", rev.SHA, sha, len(data), len(content), err)
	}
}

// TestFetchObjectOverTheObjectCap commits one file of zeros (a few KiB
// packed) that unpacks to more than the object cap, set or by default
// (32 MiB), under a fetch cap it does not reach: the fetch fails with
// ErrFetchTooLarge naming --max-object-size, and the commit before it
// stays the cached one.
func TestFetchObjectOverTheObjectCap(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    source.Options
		file    int
		mention []string
	}{
		{"set", source.Options{MaxObjectSize: 1 << 20}, 2 << 20,
			[]string{"unpacks to 2.0 MiB", "(--max-object-size=1048576)", "raise --max-object-size"}},
		{"by default", source.Options{}, source.DefaultMaxObjectSize + 1<<20,
			[]string{"unpacks to 33.0 MiB", "(--max-object-size=33554432)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newFixture(t)
			url := x.srv.HTTPURL("env")
			f := source.NewFetcher(x.cache, tc.opts)
			first := x.commit(t, "first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
			if _, err := f.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{}, x.basic); err != nil {
				t.Fatal(err)
			}
			x.commit(t, "a large file", map[string][]byte{"assets/zeros.bin": make([]byte, tc.file)})
			_, err := f.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{}, x.basic)
			checkErr(t, err, source.ErrFetchTooLarge, tc.mention)
			rev, err := f.Fetch(ctxTimeout(t, time.Minute), "ns/env", url, source.Ref{Commit: first}, x.basic)
			if err != nil || rev.SHA != first {
				t.Errorf("the first commit after the refused fetch: %v, %v", rev, err)
			}
		})
	}
}
