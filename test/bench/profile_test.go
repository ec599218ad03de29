package bench_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// cpuProfile is a CPU profile of the agent being taken over a window.
type cpuProfile struct {
	done atomic.Bool
	err  chan error
}

// startProfile starts a CPU profile of the agent at addr (its
// --pprof-bind-address) over window, written to name in dir; nothing when
// dir is "".
func startProfile(b *testing.B, dir, addr, name string, window time.Duration) *cpuProfile {
	p := &cpuProfile{}
	if dir == "" {
		p.done.Store(true)
		return p
	}
	p.err = make(chan error, 1)
	go func() {
		defer p.done.Store(true)
		p.err <- fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(window.Seconds())), filepath.Join(dir, name))
	}()
	time.Sleep(100 * time.Millisecond) // let the profile start
	return p
}

// running reports whether the profile's window is still open.
func (p *cpuProfile) running() bool { return !p.done.Load() }

func (p *cpuProfile) wait(b *testing.B) {
	if p.err == nil {
		return
	}
	if err := <-p.err; err != nil {
		b.Fatal(err)
	}
}

// writeHeapProfile writes the agent's heap profile to name in dir; nothing
// when dir is "".
func writeHeapProfile(b *testing.B, dir, addr, name string) {
	if dir == "" {
		return
	}
	if err := fetchProfile("http://"+addr+"/debug/pprof/heap?gc=1", filepath.Join(dir, name)); err != nil {
		b.Fatal(err)
	}
}

func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("profile %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, io.LimitReader(resp.Body, 256<<20))
	return err
}
