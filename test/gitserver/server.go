package gitserver

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Server serves the bare repositories under one root directory.
type Server struct {
	// Username and Password are the basic-auth credentials HTTP clients
	// must present.
	Username, Password string
	// CA is the PEM certificate that signed the HTTPS server's certificate.
	CA []byte

	root      string
	http      *http.Server
	https     *http.Server
	httpAddr  string
	httpsAddr string
	ssh       *sshServer
	traffic   *traffic
	closeOnce sync.Once
}

// Start starts the HTTP, HTTPS and SSH servers on loopback, serving bare
// repositories created under root.
func Start(root string) (*Server, error) { return StartWithOptions(root, Options{}) }

// StartWithOptions is Start, changed by o.
func StartWithOptions(root string, o Options) (*Server, error) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("gitserver: git is not installed: %w", err)
	}
	execPath, err := exec.Command(gitBin, "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("gitserver: git --exec-path: %w", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	s := &Server{Username: "seal", Password: randomToken(), root: root, traffic: &traffic{}}
	var backend http.Handler = &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	if o.AdvertiseInProcess {
		backend = advertiseInProcess(root, backend)
	}
	handler := s.traffic.logged(s.basicAuth(backend))

	cert, caPEM, err := newTLSCertificate()
	if err != nil {
		return nil, err
	}
	s.CA = caPEM
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	rawSecure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		plain.Close()
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	s.httpAddr, s.httpsAddr = plain.Addr().String(), rawSecure.Addr().String()
	plain = countingListener{Listener: plain, t: s.traffic}
	secure := tls.NewListener(countingListener{Listener: rawSecure, t: s.traffic}, &tls.Config{Certificates: []tls.Certificate{cert}})
	quiet := log.New(io.Discard, "", 0) // failed handshakes are what some tests want
	s.http = &http.Server{Handler: handler, ErrorLog: quiet}
	s.https = &http.Server{Handler: handler, ErrorLog: quiet}
	go s.http.Serve(plain)
	go s.https.Serve(secure)

	s.ssh, err = startSSH(root)
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops every listener. Repositories stay on disk.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.http != nil {
			s.http.Close()
		}
		if s.https != nil {
			s.https.Close()
		}
		if s.ssh != nil {
			s.ssh.close()
		}
	})
}

// HTTPURL is the plain-HTTP clone URL of the named repository.
func (s *Server) HTTPURL(repo string) string {
	return "http://" + s.httpAddr + "/" + repo + ".git"
}

// HTTPSURL is the HTTPS clone URL of the named repository; clients must
// trust CA.
func (s *Server) HTTPSURL(repo string) string {
	return "https://" + s.httpsAddr + "/" + repo + ".git"
}

// SSHURL is the ssh:// clone URL of the named repository.
func (s *Server) SSHURL(repo string) string {
	return "ssh://git@" + s.ssh.addr + "/" + repo + ".git"
}

// KnownHosts is a known_hosts line for the SSH server's host key.
func (s *Server) KnownHosts() []byte { return s.ssh.knownHosts() }

// ClientKey is a PEM (OpenSSH format) private key the SSH server accepts.
func (s *Server) ClientKey() []byte { return s.ssh.clientKeyPEM }

// AuthorizeKey lets another public key (authorized_keys format) in.
func (s *Server) AuthorizeKey(authorizedKey []byte) error { return s.ssh.authorize(authorizedKey) }

func (s *Server) basicAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.Username)) != 1 ||
			subtle.ConstantTimeCompare([]byte(pass), []byte(s.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="seal test git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// repoPath maps a request path such as "/team/app.git" to its bare
// repository under root, refusing anything that would leave root.
func repoPath(root, p string) (string, error) {
	clean := filepath.Clean("/" + strings.Trim(p, "'\""))
	if clean == "/" || strings.Contains(clean, "..") {
		return "", errors.New("invalid repository path")
	}
	return filepath.Join(root, clean), nil
}

func randomToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
