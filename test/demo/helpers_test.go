package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seal-gitops/seal/test/e2e/harness"
)

// The demo is built once and run as its own process, as `make demo` runs
// it, with seal and seal-agent built from this tree.
var (
	demoBin string
	bins    harness.Binaries
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := harness.TempDir("seal-demo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bins, err = harness.Build(filepath.Join(dir, "bin")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	demoBin = filepath.Join(dir, "demo")
	cmd := exec.Command("go", "build", "-o", demoBin, "./test/demo")
	cmd.Dir = harness.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the demo: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// demoRun is one run of the demo.
type demoRun struct {
	stdout, stderr string
	exit           int
	tmp            string // the demo's TMPDIR
}

// syncBuffer is a buffer the test reads while the demo writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runDemo runs the demo with --bin binDir and its own TMPDIR; interrupt,
// when set, is called with the output so far every 100ms and sends the
// demo SIGINT once it returns true.
func runDemo(t *testing.T, binDir string, interrupt func(stdout string) bool) demoRun {
	t.Helper()
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, demoBin, "--bin", binDir)
	cmd.Dir = harness.RepoRoot()
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-tick.C:
			if interrupt != nil && interrupt(stdout.String()) {
				cmd.Process.Signal(syscall.SIGINT)
				interrupt = nil
			}
		}
	}
	r := demoRun{stdout: stdout.String(), stderr: stderr.String(), exit: cmd.ProcessState.ExitCode(), tmp: tmp}
	if ctx.Err() != nil {
		t.Fatalf("the demo did not finish within 4 minutes (%v); output:\n%s%s", err, r.stdout, r.stderr)
	}
	return r
}

// checkCleanedUp fails when the demo left its scratch directory or a
// process behind: seal-agent works in the scratch directory, and etcd and
// kube-apiserver keep their data and certificates under TMPDIR.
func checkCleanedUp(t *testing.T, r demoRun) {
	t.Helper()
	if m := regexp.MustCompile(`scratch directory: (\S+)`).FindStringSubmatch(r.stdout); m != nil {
		if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
			t.Errorf("scratch directory %s is still there (%v)", m[1], err)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		if strings.HasPrefix(cwd, r.tmp) || bytes.Contains(cmdline, []byte(r.tmp)) {
			t.Errorf("process %s is still running after the demo: %s", filepath.Base(p), bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
}

// brokenBinDir holds the real seal and a seal-agent that fails at once.
func brokenBinDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Symlink(bins.Seal, filepath.Join(dir, "seal")); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho 'seal-agent: error: this agent refuses to start (demo test)' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "seal-agent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
