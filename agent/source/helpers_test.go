package source_test

import (
	"context"
	"encoding/pem"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/idxfile"

	"github.com/seal-gitops/seal/agent/source"
	"github.com/seal-gitops/seal/test/gitserver"
)

// fixture is a git server with one repository, and a Fetcher with its own
// cache directory.
type fixture struct {
	srv   *gitserver.Server
	repo  *gitserver.Repo
	cache string
	f     *source.Fetcher
	basic source.Auth
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	srv, err := gitserver.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	repo, err := srv.CreateRepo("env", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	return &fixture{srv: srv, repo: repo, cache: cache, f: source.NewFetcher(cache, source.Options{}),
		basic: source.Auth{Username: srv.Username, Password: srv.Password}}
}

func (x *fixture) commit(t testing.TB, msg string, files map[string][]byte) string {
	t.Helper()
	sha, err := x.repo.Commit(msg, files)
	if err != nil {
		t.Fatal(err)
	}
	return sha
}

func (x *fixture) sshAuth() source.Auth {
	return source.Auth{SSHKey: x.srv.ClientKey(), KnownHosts: x.srv.KnownHosts()}
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readAll returns every regular file in fsys with its content.
func readAll(t testing.TB, fsys fs.FS) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		files[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// packs returns the object count of each pack in the cache, by pack name.
func packs(t testing.TB, cache string) map[string]uint32 {
	t.Helper()
	idxs, err := filepath.Glob(filepath.Join(cache, "*", "objects", "pack", "*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint32{}
	for _, p := range idxs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		idx := idxfile.NewMemoryIndex()
		if err := idxfile.NewDecoder(f).Decode(idx); err != nil {
			t.Fatal(err)
		}
		f.Close()
		n, err := idx.Count()
		if err != nil {
			t.Fatal(err)
		}
		counts[filepath.Base(p)] = uint32(n)
	}
	return counts
}

// checkErr fails unless err wraps want and its message holds every
// fragment and none of the secrets.
func checkErr(t *testing.T, err, want error, fragments []string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q does not wrap %q", err, want)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q lacks %q", err, f)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error message quotes a secret value")
		}
	}
}

// silentListener accepts TCP connections and never answers.
func silentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func pemEncode(b *pem.Block) []byte { return pem.EncodeToMemory(b) }
