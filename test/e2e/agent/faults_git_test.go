package agent_test

import (
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// gitFault is what faultyGit does to requests.
type gitFault int32

const (
	gitOK      gitFault = iota // forward to the real git server
	gitDown                    // nothing listens: connections are refused
	gitSlow                    // hold each request for gitSlowDelay, then forward
	gitGarbage                 // answer 200 with bytes that are not the git protocol
)

// gitSlowDelay is past the GitSync's timeout (gitFaultTimeout).
const (
	gitFaultTimeout = 3 * time.Second
	gitSlowDelay    = 3 * gitFaultTimeout
)

// faultyGit is an HTTP server at a fixed loopback address in front of the
// test's git server that can be down, slow or answer garbage.
type faultyGit struct {
	t      *testing.T
	addr   string
	proxy  *httputil.ReverseProxy
	fault  atomic.Int32
	closed chan struct{} // closed at the end of the test: slow requests give up

	mu  sync.Mutex
	srv *http.Server // nil while down
}

func startFaultyGit(t *testing.T, target *url.URL) *faultyGit {
	t.Helper()
	f := &faultyGit{
		t:      t,
		proxy:  httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host}),
		closed: make(chan struct{}),
	}
	f.listen("127.0.0.1:0")
	t.Cleanup(func() {
		close(f.closed)
		f.stop()
	})
	return f
}

// listen serves on addr (the same address again after being down).
func (f *faultyGit) listen(addr string) {
	f.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after the close
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		f.t.Fatalf("listening again at %s: %v", addr, err)
	}
	f.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go srv.Serve(ln)
}

func (f *faultyGit) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
}

// set switches the fault; gitDown closes the listener and every open
// connection, and leaving it listens again at the same address.
func (f *faultyGit) set(fault gitFault) {
	f.t.Helper()
	old := gitFault(f.fault.Swap(int32(fault)))
	switch {
	case fault == gitDown && old != gitDown:
		f.stop()
	case fault != gitDown && old == gitDown:
		f.listen(f.addr)
	}
}

func (f *faultyGit) serve(w http.ResponseWriter, r *http.Request) {
	switch gitFault(f.fault.Load()) {
	case gitSlow:
		select {
		case <-time.After(gitSlowDelay):
		case <-r.Context().Done():
			return
		case <-f.closed:
			return
		}
	case gitGarbage:
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("zzzz this is not pkt-line\x00\xff\xfe<html>nonsense</html>\n"))
		return
	}
	f.proxy.ServeHTTP(w, r)
}

// URL is the repository's URL through this server.
func (f *faultyGit) URL(direct *url.URL) string {
	u := *direct
	u.Host = f.addr
	return u.String()
}

// cachedPacks lists the pack files under the agent's data directory.
func cachedPacks(t *testing.T, dir string) []string {
	t.Helper()
	var packs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".pack") {
			packs = append(packs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return packs
}

// TestFaultGitServer puts a server that fails in each way in front of the
// git server while a change waits to be synced: the GitSync turns
// Ready=False with GitFetchFailed and a message naming the server and the
// cause, the cluster keeps the applied revision whole, and the change is
// applied once the server answers properly again.
func TestFaultGitServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fault   gitFault
		mention string // in the Ready message besides the server's address
	}{
		{"down", gitDown, "cannot connect"},
		{"slow", gitSlow, "did not finish in time"},
		{"garbage", gitGarbage, "not the git protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			direct, err := url.Parse(git.HTTPURL(e.repo.Name))
			if err != nil {
				t.Fatal(err)
			}
			server := startFaultyGit(t, direct)
			s := newFaultScene(e, 10*time.Second, "git-fault-pw1-"+tc.name+"-71c3", "git-fault-pw2-"+tc.name+"-0e9a", func(gs *v1alpha1.GitSync) {
				gs.Spec.URL = server.URL(direct)
				gs.Spec.Timeout = &metav1.Duration{Duration: gitFaultTimeout}
			})

			packs := cachedPacks(t, e.dir+"/data")
			if len(packs) == 0 {
				t.Fatal("no pack file in the agent's git cache after the first sync")
			}
			server.set(tc.fault)
			s.change(nil)
			msg := e.waitFailed("apps", v1alpha1.ReasonGitFetchFailed)
			t.Logf("Ready message while %s: %s", tc.name, msg)
			for _, want := range []string{server.addr, tc.mention} {
				if !strings.Contains(msg, want) {
					t.Errorf("Ready message %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, git.Password) {
				t.Errorf("Ready message holds the git password: %q", msg)
			}
			s.checkFirstIntact()
			// The server failing says nothing about the cache: wiping it
			// would cost a full clone once the server is back.
			e.eventually(30*time.Second, "a second failed sync", func() (bool, error) {
				return strings.Count(e.agent.Output(), `"reason":"GitFetchFailed"`) >= 2, nil
			})
			if got := cachedPacks(t, e.dir+"/data"); !slices.Equal(packs, got) {
				t.Errorf("the server's fault wiped the git cache: pack files before %v, after %v", packs, got)
			}

			server.set(gitOK)
			s.waitSecond()
		})
	}
}
