package bench_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seal-gitops/seal/test/gitserver"
)

// pollServerEnv, when set to a directory, makes the test binary run as the
// git server of BenchmarkIdlePoll1000Agents instead of running tests: a
// process of its own, so that its CPU time (and that of the git
// http-backend processes it spawns) is the server's alone.
// pollInProcessEnv set to 1 makes it answer ref advertisements in process
// (gitserver.Options.AdvertiseInProcess).
const (
	pollServerEnv    = "SEAL_BENCH_POLL_SERVER"
	pollInProcessEnv = "SEAL_BENCH_POLL_IN_PROCESS"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(pollServerEnv); root != "" {
		o := gitserver.Options{AdvertiseInProcess: os.Getenv(pollInProcessEnv) == "1"}
		if err := servePoll(root, o, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "poll server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pollServerHello is the poll server's first line on stdout.
type pollServerHello struct {
	URL, HTTPSURL, Username, Password, SHA string
	CA                                     []byte
}

// serverUsage is the poll server's answer to a "usage" line: its CPU time
// and what it served since the previous answer.
type serverUsage struct {
	// Self is the server process's own CPU time (user plus system);
	// Children that of the git http-backend processes it spawned and
	// waited for (and their own children: git upload-pack), cumulative.
	Self, Children time.Duration
	// InfoRefs and UploadPacks count GET info/refs and POST
	// git-upload-pack requests since the previous answer; Other the rest.
	InfoRefs, UploadPacks, Other int
	// WireIn and WireOut are the bytes on the wire since the previous
	// answer, Conns the connections accepted.
	WireIn, WireOut int64
	Conns           int
}

// servePoll starts a git server under root holding the repository "env",
// says where on out, then answers each "usage" line read from in until in
// closes.
func servePoll(root string, o gitserver.Options, in io.Reader, out io.Writer) error {
	srv, err := gitserver.StartWithOptions(filepath.Join(root, "srv"), o)
	if err != nil {
		return err
	}
	defer srv.Close()
	repo, err := srv.CreateRepo("env", filepath.Join(root, "work"))
	if err != nil {
		return err
	}
	sha, err := repo.Commit("twenty ConfigMaps", pollRepo())
	if err != nil {
		return err
	}
	// An environment repository has a branch per environment: the
	// advertisement every poll receives holds them all.
	for _, env := range []string{"staging", "production"} {
		if err := repo.Checkout(env); err != nil {
			return err
		}
		if _, err := repo.Commit(env, map[string][]byte{"env.txt": []byte(env + "\n")}); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(out)
	if err := enc.Encode(pollServerHello{URL: srv.HTTPURL("env"), HTTPSURL: srv.HTTPSURL("env"),
		Username: srv.Username, Password: srv.Password, SHA: sha, CA: srv.CA}); err != nil {
		return err
	}
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		if lines.Text() != "usage" {
			return fmt.Errorf("unknown command %q", lines.Text())
		}
		t := srv.TakeTraffic()
		u := serverUsage{Self: cpuTime(syscall.RUSAGE_SELF), Children: cpuTime(syscall.RUSAGE_CHILDREN),
			InfoRefs: t.Count("GET", "git-upload-pack"), UploadPacks: t.Count("POST", "git-upload-pack"),
			WireIn: t.WireIn, WireOut: t.WireOut, Conns: t.Conns}
		u.Other = len(t.Requests) + t.Dropped - u.InfoRefs - u.UploadPacks
		if err := enc.Encode(u); err != nil {
			return err
		}
	}
	return lines.Err()
}

// pollRepo is a small environment repository: twenty ConfigMaps.
func pollRepo() map[string][]byte {
	files := map[string][]byte{}
	for i := range 20 {
		files[fmt.Sprintf("config/cm-%02d.yaml", i)] = configMapFile(i, "v1")
	}
	return files
}

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pollServer is the poll server process, seen from the benchmark.
type pollServer struct {
	pollServerHello
	cmd *exec.Cmd
	in  io.WriteCloser
	out *json.Decoder
}

// startPollServer runs this test binary as the poll server.
func startPollServer(b *testing.B, o gitserver.Options) *pollServer {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), pollServerEnv+"="+b.TempDir())
	if o.AdvertiseInProcess {
		cmd.Env = append(cmd.Env, pollInProcessEnv+"=1")
	}
	// git's progress on the first fetch goes here; shown on failure.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &pollServer{cmd: cmd, in: in, out: json.NewDecoder(out)}
	b.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("poll server: %v: %s", err, stderr.Bytes())
		}
	})
	if err := s.out.Decode(&s.pollServerHello); err != nil {
		b.Fatalf("poll server did not start: %v", err) // its stderr is in the cleanup's error
	}
	return s
}

func (s *pollServer) usage(b *testing.B) serverUsage {
	b.Helper()
	if _, err := io.WriteString(s.in, "usage\n"); err != nil {
		b.Fatal(err)
	}
	var u serverUsage
	if err := s.out.Decode(&u); err != nil {
		b.Fatalf("poll server: %v", err)
	}
	return u
}

// String is u as one line, for failures.
func (u serverUsage) String() string {
	return strings.TrimSpace(fmt.Sprintf("cpu %v + children %v, %d info/refs, %d upload-pack, %d other, %d B in, %d B out, %d connections",
		u.Self, u.Children, u.InfoRefs, u.UploadPacks, u.Other, u.WireIn, u.WireOut, u.Conns))
}
