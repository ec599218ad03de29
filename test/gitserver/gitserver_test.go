package gitserver_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/seal-gitops/seal/test/gitserver"
)

// start runs a server with one repository holding one commit on main and a
// tag, and returns the server and that commit.
func start(t *testing.T) (*gitserver.Server, string) {
	t.Helper()
	s, err := gitserver.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	repo, err := s.CreateRepo("env", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sha, err := repo.Commit("first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag("v1"); err != nil {
		t.Fatal(err)
	}
	return s, sha
}

func checkClone(t *testing.T, r *git.Repository, wantSHA string) {
	t.Helper()
	head, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	if head.Hash().String() != wantSHA {
		t.Errorf("HEAD = %s, want %s", head.Hash(), wantSHA)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	f, err := wt.Filesystem.Open("apps/cm.yaml")
	if err != nil {
		t.Fatalf("cloned tree lacks apps/cm.yaml: %v", err)
	}
	f.Close()
}

func TestCloneOverHTTPWithBasicAuth(t *testing.T) {
	s, sha := start(t)
	tests := []struct {
		name    string
		url     string
		auth    *githttp.BasicAuth
		ca      []byte
		wantErr string
	}{
		{name: "http", url: s.HTTPURL("env"), auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}},
		{name: "https", url: s.HTTPSURL("env"), auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}, ca: s.CA},
		{name: "wrong password", url: s.HTTPURL("env"), auth: &githttp.BasicAuth{Username: s.Username, Password: "nope"}, wantErr: "authentication required"},
		{name: "no credentials", url: s.HTTPURL("env"), wantErr: "authentication required"},
		{name: "untrusted certificate", url: s.HTTPSURL("env"), auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}, wantErr: "certificate"},
		{name: "path outside root", url: strings.Replace(s.HTTPURL("env"), "/env.git", "/../env.git", 1), auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}, wantErr: "status code: 500"}, // git http-backend refuses aliased paths
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &git.CloneOptions{URL: tt.url, CABundle: tt.ca}
			if tt.auth != nil {
				opts.Auth = tt.auth
			}
			r, err := git.PlainClone(t.TempDir(), false, opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("clone error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkClone(t, r, sha)
		})
	}
}

func TestCloneOverSSHWithHostKeyChecking(t *testing.T) {
	s, sha := start(t)
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(knownHosts, s.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	otherHost := filepath.Join(t.TempDir(), "known_hosts")
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	line := strings.Fields(string(s.KnownHosts()))[0] + " " + string(ssh.MarshalAuthorizedKey(otherSigner.PublicKey()))
	if err := os.WriteFile(otherHost, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	strangerSigner, _ := ssh.NewSignerFromKey(stranger)

	tests := []struct {
		name       string
		signer     ssh.Signer
		knownHosts string
		wantErr    string
	}{
		{name: "known host", knownHosts: knownHosts},
		{name: "host key mismatch", knownHosts: otherHost, wantErr: "key mismatch"},
		{name: "unauthorized client key", signer: strangerSigner, knownHosts: knownHosts, wantErr: "unable to authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth, err := gitssh.NewPublicKeys("git", s.ClientKey(), "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.signer != nil {
				auth = &gitssh.PublicKeys{User: "git", Signer: tt.signer}
			}
			auth.HostKeyCallback, err = gitssh.NewKnownHostsCallback(tt.knownHosts)
			if err != nil {
				t.Fatal(err)
			}
			r, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: s.SSHURL("env"), Auth: auth})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("clone error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkClone(t, r, sha)
		})
	}
}

func TestBranchesTagsAndPushes(t *testing.T) {
	s, first := start(t)
	repo, err := s.CreateRepo("branches", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mainSHA, err := repo.Commit("main", map[string][]byte{"a.yaml": []byte("a: 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Checkout("staging"); err != nil {
		t.Fatal(err)
	}
	stagingSHA, err := repo.Commit("staging", map[string][]byte{"a.yaml": nil, "b.yaml": []byte("b: 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	auth := &githttp.BasicAuth{Username: s.Username, Password: s.Password}
	r, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{
		URL: s.HTTPURL("branches"), Auth: auth, ReferenceName: plumbing.NewBranchReferenceName("staging"), SingleBranch: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := r.Head()
	if head.Hash().String() != stagingSHA || stagingSHA == mainSHA {
		t.Errorf("staging HEAD = %s, want %s (main is %s)", head.Hash(), stagingSHA, mainSHA)
	}
	wt, _ := r.Worktree()
	if _, err := wt.Filesystem.Stat("a.yaml"); err == nil {
		t.Error("a.yaml deleted on staging is still in the clone")
	}

	// The tag made by start points at the first commit of "env".
	r, err = git.PlainClone(t.TempDir(), false, &git.CloneOptions{
		URL: s.HTTPURL("env"), Auth: auth, ReferenceName: plumbing.NewTagReferenceName("v1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	head, _ = r.Head()
	if head.Hash().String() != first {
		t.Errorf("tag v1 = %s, want %s", head.Hash(), first)
	}
}
