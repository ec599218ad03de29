package gitserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshServer runs git-upload-pack and git-receive-pack for clients that
// authenticate with an authorized public key. It runs nothing else.
type sshServer struct {
	root         string
	addr         string
	listener     net.Listener
	config       *ssh.ServerConfig
	hostKey      ssh.PublicKey
	clientKeyPEM []byte

	mu         sync.Mutex
	authorized map[string]bool // ssh.PublicKey.Marshal() as string
	wg         sync.WaitGroup
}

func startSSH(root string) (*sshServer, error) {
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	clientPub, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(clientPriv, "seal test client")
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	sshClientPub, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	s := &sshServer{
		root:         root,
		hostKey:      hostSigner.PublicKey(),
		clientKeyPEM: pem.EncodeToMemory(block),
		authorized:   map[string]bool{string(sshClientPub.Marshal()): true},
	}
	s.config = &ssh.ServerConfig{PublicKeyCallback: s.checkKey}
	s.config.AddHostKey(hostSigner)
	s.listener, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	s.addr = s.listener.Addr().String()
	go s.serve()
	return s, nil
}

func (s *sshServer) knownHosts() []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(s.addr)}, s.hostKey) + "\n")
}

func (s *sshServer) authorize(authorizedKey []byte) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey(authorizedKey)
	if err != nil {
		return fmt.Errorf("gitserver: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized[string(key.Marshal())] = true
	return nil
}

func (s *sshServer) checkKey(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorized[string(key.Marshal())] {
		return nil, nil
	}
	return nil, errors.New("unknown public key")
}

func (s *sshServer) close() {
	s.listener.Close()
	s.wg.Wait()
}

func (s *sshServer) serve() {
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(conn)
		}()
	}
}

func (s *sshServer) handleConn(conn net.Conn) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.handleSession(ch, requests)
	}
}

func (s *sshServer) handleSession(ch ssh.Channel, requests <-chan *ssh.Request) {
	defer ch.Close()
	for req := range requests {
		switch req.Type {
		case "env":
			req.Reply(true, nil) // git sends GIT_PROTOCOL; plain v0/v1 is fine
		case "exec":
			req.Reply(true, nil)
			status := s.runGit(ch, execCommand(req.Payload))
			ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// runGit runs one of git's pack services against a repository under root.
func (s *sshServer) runGit(ch ssh.Channel, command string) uint32 {
	service, arg, _ := strings.Cut(command, " ")
	if service != "git-upload-pack" && service != "git-receive-pack" {
		fmt.Fprintf(ch.Stderr(), "gitserver: only git-upload-pack and git-receive-pack are served\n")
		return 1
	}
	dir, err := repoPath(s.root, arg)
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "gitserver: %v\n", err)
		return 1
	}
	cmd := exec.Command("git", strings.TrimPrefix(service, "git-"), dir)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	// Copy stdin ourselves: exec.Cmd would wait for the client to close its
	// side, while the client waits for our exit status.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return uint32(exit.ExitCode())
		}
		return 1
	}
	return 0
}

// execCommand decodes the string payload of an "exec" request.
func execCommand(payload []byte) string {
	var msg struct{ Command string }
	if err := ssh.Unmarshal(payload, &msg); err != nil {
		return ""
	}
	return string(bytes.TrimSpace([]byte(msg.Command)))
}
