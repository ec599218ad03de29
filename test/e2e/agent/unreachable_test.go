package agent_test

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// switchableProxy forwards TCP connections to target while on; while off
// it accepts and drops them, as an unreachable server does.
type switchableProxy struct {
	ln     net.Listener
	target string
	on     atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// off makes the server unreachable, cutting connections kept alive too.
func (p *switchableProxy) off() {
	p.on.Store(false)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func startProxy(t *testing.T, target string) *switchableProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchableProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.on.Store(true)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *switchableProxy) serve(c net.Conn) {
	defer c.Close()
	if !p.on.Load() {
		return
	}
	p.mu.Lock()
	p.conns[c] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	io.Copy(c, up)
}

func TestBadInputUnreachableGitServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	direct, err := url.Parse(git.HTTPURL(e.repo.Name))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, direct.Host)
	viaProxy := strings.Replace(direct.String(), direct.Host, proxy.ln.Addr().String(), 1)

	sha := e.commit("good", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "hello"),
		"apps/keep.yaml":   configMap("keep-config", "kept"),
	})
	e.createGitSync("apps", 10*time.Second, func(gs *v1alpha1.GitSync) {
		gs.Spec.URL = viaProxy
		gs.Spec.Timeout = &metav1.Duration{Duration: 5 * time.Second}
	})
	e.waitApplied("apps", sha)

	proxy.off()
	e.commit("change while unreachable", map[string][]byte{
		"apps/config.yaml": configMap("web-config", "changed"),
		"apps/keep.yaml":   nil,
	})
	msg := e.waitFailed("apps", v1alpha1.ReasonGitFetchFailed)
	if !strings.Contains(msg, proxy.ln.Addr().String()) {
		t.Errorf("Ready message %q does not name the server %s", msg, proxy.ln.Addr())
	}
	if strings.Contains(msg, git.Password) {
		t.Errorf("Ready message holds the git password: %q", msg)
	}
	if got := e.configMapValue("web-config"); got != "hello" || !e.configMapExists("keep-config") {
		t.Errorf("while the server was unreachable the cluster changed: web-config=%q keep-config exists=%v", got, e.configMapExists("keep-config"))
	}

	proxy.on.Store(true)
	head, err := e.repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	e.waitApplied("apps", head)
	if e.configMapValue("web-config") != "changed" || e.configMapExists("keep-config") {
		t.Error("after the server came back the change was not applied")
	}
}
