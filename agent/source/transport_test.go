package source_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/seal-gitops/seal/agent/source"
)

func otherKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFetchOverEveryTransport(t *testing.T) {
	x := newFixture(t)
	sha := x.commit(t, "first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
	withCA := x.basic
	withCA.CA = x.srv.CA
	tests := []struct {
		name string
		url  string
		auth source.Auth
	}{
		{"http basic auth", x.srv.HTTPURL("env"), x.basic},
		{"https with extra CA", x.srv.HTTPSURL("env"), withCA},
		{"ssh with known_hosts", x.srv.SSHURL("env"), x.sshAuth()},
		// scp-like syntax has no port; go-git reads "host:port:path".
		{"scp-like ssh", strings.Replace(strings.TrimPrefix(x.srv.SSHURL("env"), "ssh://"), "/", ":", 1), x.sshAuth()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev, err := x.f.Fetch(ctxTimeout(t, time.Minute), tt.name, tt.url, source.Ref{}, tt.auth)
			if err != nil {
				t.Fatal(err)
			}
			if rev.SHA != sha {
				t.Errorf("SHA = %s, want %s", rev.SHA, sha)
			}
			if diff := cmp.Diff(map[string]string{"apps/cm.yaml": "kind: ConfigMap\n"}, readAll(t, rev.FS)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchRefusals(t *testing.T) {
	x := newFixture(t)
	x.commit(t, "first", map[string][]byte{"a.yaml": []byte("a: 1\n")})
	addr := strings.TrimSuffix(strings.TrimPrefix(x.srv.SSHURL("env"), "ssh://git@"), "/env.git")

	wrongPassword := source.Auth{Username: x.srv.Username, Password: "wrong-password-123"}
	noCA := x.basic
	mismatch := x.sshAuth()
	mismatch.KnownHosts = []byte(strings.Fields(string(x.srv.KnownHosts()))[0] + " " + string(ssh.MarshalAuthorizedKey(otherKey(t).PublicKey())))
	unknownHost := x.sshAuth()
	unknownHost.KnownHosts = []byte("git.example.com " + string(ssh.MarshalAuthorizedKey(otherKey(t).PublicKey())))
	stranger := x.sshAuth()
	block, err := ssh.MarshalPrivateKey(ed25519.NewKeyFromSeed(make([]byte, 32)), "")
	if err != nil {
		t.Fatal(err)
	}
	stranger.SSHKey = pemEncode(block)
	closed := closedPort(t)

	tests := []struct {
		name      string
		url       string
		auth      source.Auth
		want      error
		fragments []string
	}{
		{"wrong password", x.srv.HTTPURL("env"), wrongPassword, source.ErrAuthentication,
			[]string{x.srv.HTTPURL("env"), "authentication failed", "check the credentials"}},
		{"no credentials", x.srv.HTTPURL("env"), source.Auth{}, source.ErrAuthentication, []string{"authentication failed"}},
		{"untrusted certificate", x.srv.HTTPSURL("env"), noCA, source.ErrCertificate, []string{x.srv.HTTPSURL("env"), "ca.crt"}},
		{"host key mismatch", x.srv.SSHURL("env"), mismatch, source.ErrHostKey, []string{"does not match known_hosts"}},
		{"unknown host", x.srv.SSHURL("env"), unknownHost, source.ErrHostKey, []string{"not in known_hosts"}},
		{"unauthorized identity", x.srv.SSHURL("env"), stranger, source.ErrAuthentication, []string{"refused the identity"}},
		{"ssh without identity", x.srv.SSHURL("env"), x.basic, source.ErrInvalidSecret, []string{`"identity" and "known_hosts"`}},
		{"identity over https", x.srv.HTTPURL("env"), x.sshAuth(), source.ErrInvalidSecret, []string{"SSH identity"}},
		{"missing repository", strings.Replace(x.srv.HTTPURL("env"), "env.git", "nope.git", 1), x.basic, source.ErrRepositoryNotFound, []string{"repository not found"}},
		{"closed port http", "http://" + closed + "/env.git", x.basic, source.ErrUnreachable, []string{closed, "cannot connect"}},
		{"closed port ssh", "ssh://git@" + closed + "/env.git", x.sshAuth(), source.ErrUnreachable, []string{closed, "cannot connect"}},
		{"password in url", "https://bot:hunter22@" + addr + "/env.git", source.Auth{}, source.ErrInvalidURL, []string{"must not contain a password"}},
		{"file url", "file:///srv/git/env.git", source.Auth{}, source.ErrInvalidURL, []string{"unsupported URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := x.f.Fetch(ctxTimeout(t, time.Minute), "refusals", tt.url, source.Ref{}, tt.auth)
			checkErr(t, err, tt.want, tt.fragments, tt.auth.Password, "hunter22", string(tt.auth.SSHKey))
		})
	}
}

func TestBearerTokenIsSent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.Header.Get("Authorization"):
		default:
		}
		http.Error(w, "denied", http.StatusUnauthorized)
	}))
	defer srv.Close()
	f := source.NewFetcher(t.TempDir(), source.Options{})
	_, err := f.Fetch(ctxTimeout(t, time.Minute), "bearer", srv.URL+"/env.git", source.Ref{}, source.Auth{BearerToken: "tok-abc-123"})
	checkErr(t, err, source.ErrAuthentication, []string{srv.URL}, "tok-abc-123")
	if diff := cmp.Diff("Bearer tok-abc-123", <-got); diff != "" {
		t.Errorf("Authorization header (-want +got):\n%s", diff)
	}
}

func TestFetchTimesOutOnSilentServer(t *testing.T) {
	x := newFixture(t)
	addr := silentListener(t)
	auth := x.sshAuth()
	auth.KnownHosts = []byte(strings.Replace(string(x.srv.KnownHosts()), strings.Fields(string(x.srv.KnownHosts()))[0], "["+strings.Replace(addr, ":", "]:", 1), 1))
	tests := []struct {
		name string
		url  string
		auth source.Auth
	}{
		{"http", "http://" + addr + "/env.git", x.basic},
		{"ssh", "ssh://git@" + addr + "/env.git", auth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := x.f.Fetch(ctx, tt.name, tt.url, source.Ref{}, tt.auth)
				done <- err
			}()
			select {
			case err := <-done:
				checkErr(t, err, context.DeadlineExceeded, []string{addr, "did not finish in time"})
			case <-time.After(30 * time.Second):
				t.Fatal("Fetch ignored its context's deadline")
			}
		})
	}
}
