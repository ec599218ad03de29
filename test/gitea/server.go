package gitea

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/seal-gitops/seal/test/testbin"
)

// Options configures Start.
type Options struct {
	// Binary is the gitea binary, with options/, templates/ and public/ in
	// its directory; default: testbin.Path("gitea").
	Binary string
	// Dir holds everything the server writes; default: a new temporary
	// directory that Stop removes. When the tests run as root, uid 65534
	// must be able to reach it (t.TempDir is mode 0700: not there).
	Dir string
	// StartTimeout bounds each start (migrate, admin user, web until
	// healthy); default 2 minutes.
	StartTimeout time.Duration
	// ExtraConfig is appended to app.ini (sections and keys of Gitea's
	// configuration cheat sheet), for tests that need more than the
	// defaults.
	ExtraConfig string
}

// Server is a running Gitea.
type Server struct {
	// URL is the server's root URL, "http://127.0.0.1:PORT/".
	URL string
	// AdminUser and AdminPassword are the site administrator's login.
	AdminUser, AdminPassword string

	dir       string // everything lives here
	removeDir bool   // Stop removes dir
	static    string // binary and assets, readable by the server's user
	work      string // Gitea's work path, owned by the server's user
	config    string // app.ini
	port      int
	cred      *syscall.Credential // nil: run as ourselves
	timeout   time.Duration
	client    *http.Client

	mu   sync.Mutex
	web  *exec.Cmd
	done chan struct{} // closed when web exits
	ln   *net.TCPListener
}

// unprivileged is the uid and gid Gitea runs as when the tests run as root.
const unprivileged = 65534

// Start runs a Gitea server and returns once it answers its health check.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = testbin.Path("gitea"); err != nil {
			return nil, err
		}
	}
	s := &Server{
		AdminUser:     "seal-admin",
		AdminPassword: randomHex(16),
		dir:           opts.Dir,
		timeout:       opts.StartTimeout,
		client:        &http.Client{Timeout: 30 * time.Second},
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "seal-gitea-")
		if err != nil {
			return nil, fmt.Errorf("gitea: %w", err)
		}
		s.dir, s.removeDir = dir, true
	}
	if os.Geteuid() == 0 {
		s.cred = &syscall.Credential{Uid: unprivileged, Gid: unprivileged, Groups: []uint32{}}
	}
	if err := s.prepare(bin, opts.ExtraConfig); err != nil {
		s.cleanup()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.run(ctx, "migrate"); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.run(ctx, "admin", "user", "create", "--admin", "--username", s.AdminUser,
		"--password", s.AdminPassword, "--email", s.AdminUser+"@seal.test", "--must-change-password=false"); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.Up(ctx); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

// prepare lays out the directory: the binary and its assets under static/,
// Gitea's work path under work/ (owned by the server's user), app.ini, and
// a loopback listener whose port the configuration names.
func (s *Server) prepare(bin, extra string) error {
	// MkdirTemp makes dir 0700; the server's user must reach into it.
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	s.static = filepath.Join(s.dir, "static")
	s.work = filepath.Join(s.dir, "work")
	s.config = filepath.Join(s.work, "custom", "conf", "app.ini")
	if err := stage(bin, s.static); err != nil {
		return err
	}
	for _, d := range []string{"custom/conf", "data", "repos", "log", "home"} {
		if err := os.MkdirAll(filepath.Join(s.work, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("gitea: %w", err)
		}
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("gitea: listening on loopback: %w", err)
	}
	s.ln = ln
	s.port = ln.Addr().(*net.TCPAddr).Port
	s.URL = "http://127.0.0.1:" + strconv.Itoa(s.port) + "/"
	if err := os.WriteFile(s.config, []byte(s.appINI()+extra), 0o600); err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	if s.cred != nil {
		if err := chownTree(s.work, unprivileged, unprivileged); err != nil {
			return err
		}
	}
	return nil
}

// appINI is the configuration: everything local, nothing that reaches out.
func (s *Server) appINI() string {
	return fmt.Sprintf(`APP_NAME = seal-test
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[2]d
ROOT_URL = %[3]s
LOCAL_ROOT_URL = %[3]s
STATIC_ROOT_PATH = %[4]s
APP_DATA_PATH = %[1]s/data
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = %[1]s/data/gitea.db

[repository]
ROOT = %[1]s/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = %[5]s
INTERNAL_TOKEN = %[6]s
; argon2 (the default) costs 64 MiB and tens of milliseconds per check
PASSWORD_HASH_ALGO = pbkdf2

[service]
DISABLE_REGISTRATION = true
ENABLE_NOTIFY_MAIL = false

[mailer]
ENABLED = false

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[oauth2]
ENABLED = false

[actions]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[cron.update_checker]
ENABLED = false

[log]
MODE = console
LEVEL = info
ROOT_PATH = %[1]s/log
`, s.work, s.port, s.URL, s.static, randomHex(32), randomHex(32))
}

// Up starts `gitea web` on the server's port and waits until it is healthy.
// Start calls it; after Down it brings the same server back.
func (s *Server) Up(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.web != nil {
		return errors.New("gitea: already running")
	}
	if s.ln == nil { // Down closed it: take the same port again
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: s.port})
		if err != nil {
			return fmt.Errorf("gitea: listening again on port %d: %w", s.port, err)
		}
		s.ln = ln
	}
	f, err := s.ln.File()
	if err != nil {
		return fmt.Errorf("gitea: %w", err)
	}
	defer f.Close()
	cmd, logFile, err := s.command("web")
	if err != nil {
		return err
	}
	defer logFile.Close()
	// Gitea takes a listener handed over as systemd does (LISTEN_FDS), so
	// the port is ours from the start and no other process can race for it.
	cmd.ExtraFiles = []*os.File{f}
	cmd.Env = append(cmd.Env, "LISTEN_FDS=1")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("gitea: starting gitea web: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.web, s.done = cmd, done
	if err := s.waitHealthy(ctx, done); err != nil {
		s.stopLocked()
		return err
	}
	return nil
}

// waitHealthy polls /api/healthz until it answers 200.
func (s *Server) waitHealthy(ctx context.Context, done <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"api/healthz", nil)
		if resp, err := s.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("gitea: gitea web exited before it was healthy; log tail:\n%s", s.LogTail(40))
		case <-ctx.Done():
			return fmt.Errorf("gitea: gitea web not healthy at %s within %s: %w; log tail:\n%s", s.URL, s.timeout, ctx.Err(), s.LogTail(40))
		case <-tick.C:
		}
	}
}

// Down stops `gitea web` and closes its port, keeping every repository,
// user and token, so that a test can see what happens while the forge is
// away; Up brings it back on the same port.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

// stopLocked sends SIGTERM to the web process's group, waits up to ten
// seconds, then kills the group; it closes the listener.
func (s *Server) stopLocked() error {
	var err error
	if s.web != nil {
		pgid := s.web.Process.Pid // Setpgid: the group is the leader's pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("gitea: gitea web did not stop within 10s of SIGTERM; killed")
		}
		// Kill whatever of the group is left (git, hooks), even after a
		// clean exit of the leader.
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
		s.web, s.done = nil, nil
	}
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	return err
}

// Stop stops the server and removes its directory if Start made it.
func (s *Server) Stop() error {
	s.mu.Lock()
	err := s.stopLocked()
	s.mu.Unlock()
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	if s.removeDir {
		os.RemoveAll(s.dir)
	}
}

// run runs a gitea subcommand to completion.
func (s *Server) run(ctx context.Context, args ...string) error {
	cmd, logFile, err := s.command(args...)
	if err != nil {
		return err
	}
	defer logFile.Close()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("gitea: %s: %w", args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("gitea: gitea %s: %w; log tail:\n%s", args[0], err, s.LogTail(40))
	}
	return nil
}

// command is a gitea command in its own process group, as the server's
// user, with output appended to the log file.
func (s *Server) command(args ...string) (*exec.Cmd, *os.File, error) {
	logFile, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("gitea: %w", err)
	}
	full := append([]string{"--config", s.config, "--work-path", s.work}, args...)
	cmd := exec.Command(filepath.Join(s.static, "gitea"), full...)
	cmd.Dir = s.work
	home := filepath.Join(s.work, "home")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "GITEA_WORK_DIR=" + s.work, "GIT_CONFIG_NOSYSTEM=1"}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	return cmd, logFile, nil
}

// PID is the process id of `gitea web`, also its process group; 0 while
// the server is down.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.web == nil {
		return 0
	}
	return s.web.Process.Pid
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "gitea.log") }

// LogTail returns the last n lines Gitea printed.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return tailLines(string(b), n)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
