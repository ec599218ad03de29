package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is what a finished command did.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Command describes a process to run.
type Command struct {
	Path  string
	Args  []string
	Dir   string
	Env   []string // added to a minimal environment (PATH, HOME=Dir)
	Stdin string
}

// Run runs c to completion.
func Run(ctx context.Context, c Command) (Result, error) {
	cmd := c.cmd(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		res.ExitCode = exit.ExitCode()
		err = nil
	}
	return res, err
}

// env is a minimal, predictable environment: the test machine's own
// configuration (a real ~/.config/sops/age/keys.txt, a kubeconfig) must
// not leak into what a test sees.
func (c Command) cmd(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	home := c.Dir
	if home == "" {
		home = os.TempDir()
	}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + home + "/.config"}, c.Env...)
	if c.Stdin != "" {
		cmd.Stdin = strings.NewReader(c.Stdin)
	}
	return cmd
}

// Process is a long-running command, such as seal-agent.
type Process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// Start starts c in the background; its stdout and stderr are kept.
func Start(c Command) (*Process, error) {
	cmd := c.cmd(context.Background())
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns the process's exit error (nil for a clean exit) and
// whether it had to be killed.
func (p *Process) Stop(grace time.Duration) (err error, killed bool) {
	if p.Exited() {
		return p.err, false
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err, false
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
		return p.err, true
	}
}

// Kill sends SIGKILL, as the kernel's OOM killer or a node failure would,
// and waits for the process to end.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

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

// SampleAnon samples the process's anonymous resident memory (RssAnon in
// /proc: its heap, stacks and runtime, not the binary's pages, which are
// file-backed, shared with the page cache and resident or not depending on
// what the machine read last) every interval, until the returned stop,
// which returns the highest sample in bytes. The kernel keeps a peak only
// of the total (VmHWM), so a peak shorter than interval can be missed.
func (p *Process) SampleAnon(interval time.Duration) (stop func() int64) {
	done, result := make(chan struct{}), make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if v, err := p.statusField("RssAnon:"); err == nil && v > peak {
				peak = v
			}
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(done); return <-result }
}

// Pid is the process's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// PeakRSS is the process's peak resident memory so far, in bytes (Linux:
// VmHWM from /proc), for benchmarks. The process must still be running.
func (p *Process) PeakRSS() (int64, error) { return p.statusField("VmHWM:") }

// statusField reads a size in kB from /proc/PID/status, in bytes.
func (p *Process) statusField(name string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", name, p.cmd.Process.Pid)
}
