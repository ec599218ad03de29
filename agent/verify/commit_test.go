package verify_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/seal-gitops/seal/agent/verify"
)

// run runs a command in dir with env added and returns its output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// repo is a git repository whose commits the test signs with the git CLI.
type repo struct {
	t   *testing.T
	dir string
	env []string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	r := &repo{t: t, dir: t.TempDir(), env: []string{
		"GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir(),
		"GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com",
	}}
	run(t, r.dir, r.env, "git", "init", "-q", "-b", "main")
	return r
}

// commit commits a change with extra git arguments (signing options) and
// returns the commit as go-git reads it.
func (r *repo) commit(args ...string) *object.Commit {
	r.t.Helper()
	f := filepath.Join(r.dir, "file")
	old, _ := os.ReadFile(f)
	if err := os.WriteFile(f, append(old, 'x'), 0o644); err != nil {
		r.t.Fatal(err)
	}
	run(r.t, r.dir, r.env, "git", "add", "file")
	run(r.t, r.dir, r.env, "git", append(append([]string{}, args...), "commit", "-q", "-m", "change")...)
	g, err := git.PlainOpen(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	head, err := g.Head()
	if err != nil {
		r.t.Fatal(err)
	}
	c, err := g.CommitObject(head.Hash())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// sshKey makes an ed25519 key pair and returns the private key's path and
// the public key line.
func sshKey(t *testing.T, name string) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	run(t, "", nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path)
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

func sshSign(key string) []string {
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key, "-c", "commit.gpgsign=true"}
}

// gpgKey makes an OpenPGP key in its own GNUPGHOME and returns the git
// arguments that sign with it and its armored public key.
func gpgKey(t *testing.T, uid string) ([]string, []byte, []string) {
	t.Helper()
	home, err := os.MkdirTemp("", "gpg") // short: gpg-agent's socket path is limited
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GNUPGHOME=" + home}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	run(t, "", env, "gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
	fpr := ""
	for _, line := range strings.Split(run(t, "", env, "gpg", "--batch", "--with-colons", "--list-keys", uid), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" && fpr == "" {
			fpr = f[9]
		}
	}
	pub := run(t, "", env, "gpg", "--batch", "--armor", "--export", fpr)
	return []string{"-c", "gpg.format=openpgp", "-c", "user.signingkey=" + fpr, "-c", "commit.gpgsign=true"}, []byte(pub), env
}

func TestCommitSignatures(t *testing.T) {
	trustedSSH, trustedSSHPub := sshKey(t, "trusted")
	otherSSH, _ := sshKey(t, "other")
	trustedPGP, trustedPGPPub, trustedEnv := gpgKey(t, "Dev <dev@example.com>")
	otherPGP, _, otherEnv := gpgKey(t, "Mallory <mallory@example.com>")
	keys, err := verify.ParseKeys("Secret team/trusted", map[string][]byte{
		verify.KeySSH:     []byte("# the team\ndev@example.com namespaces=\"git\" " + trustedSSHPub + "\n"),
		verify.KeyOpenPGP: trustedPGPPub,
	})
	if err != nil {
		t.Fatal(err)
	}

	r := newRepo(t)
	type result struct {
		signer string // Signer.Identity when verified
		reason string // part of the Error's reason otherwise
		named  string // part of the Error's signer
	}
	tests := []struct {
		name   string
		commit func() *object.Commit
		want   result
	}{
		{"ssh, trusted", func() *object.Commit { return r.commit(sshSign(trustedSSH)...) }, result{signer: "dev@example.com"}},
		{"openpgp, trusted", func() *object.Commit {
			r.env = append(r.env, trustedEnv...)
			defer func() { r.env = r.env[:len(r.env)-1] }()
			return r.commit(trustedPGP...)
		}, result{signer: "Dev <dev@example.com>"}},
		{"unsigned", func() *object.Commit { return r.commit() }, result{reason: "is not signed"}},
		{"ssh, untrusted", func() *object.Commit { return r.commit(sshSign(otherSSH)...) }, result{reason: "not among the allowed signers", named: "ssh key SHA256:"}},
		{"openpgp, untrusted", func() *object.Commit {
			r.env = append(r.env, otherEnv...)
			defer func() { r.env = r.env[:len(r.env)-1] }()
			return r.commit(otherPGP...)
		}, result{reason: "not among the trusted keys", named: "openpgp key "}},
		{"ssh, changed after signing", func() *object.Commit {
			c := r.commit(sshSign(trustedSSH)...)
			c.Message = "something else\n"
			return c
		}, result{reason: "does not verify", named: "dev@example.com"}},
		{"openpgp, changed after signing", func() *object.Commit {
			r.env = append(r.env, trustedEnv...)
			defer func() { r.env = r.env[:len(r.env)-1] }()
			c := r.commit(trustedPGP...)
			c.Message = "something else\n"
			return c
		}, result{reason: "does not verify", named: "openpgp key "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.commit()
			signer, err := keys.Commit(c)
			if tt.want.signer != "" {
				if err != nil || signer.Identity != tt.want.signer || signer.Fingerprint == "" {
					t.Fatalf("Commit: %+v, %v; want verified by %s", signer, err, tt.want.signer)
				}
				return
			}
			var verr *verify.Error
			if !errors.As(err, &verr) {
				t.Fatalf("Commit: %+v, %v; want a *verify.Error", signer, err)
			}
			if verr.Commit != c.Hash.String() || !strings.Contains(verr.Reason, tt.want.reason) || !strings.Contains(verr.Signer, tt.want.named) {
				t.Errorf("error %q (signer %q); want commit %s, reason with %q, signer with %q", err, verr.Signer, c.Hash, tt.want.reason, tt.want.named)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	_, pub := sshKey(t, "k")
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{"none", map[string][]byte{}, "no trusted keys"},
		{"bad armor", map[string][]byte{verify.KeyOpenPGP: []byte("not a key")}, "pgp.asc: not ASCII-armored"},
		{"bad ssh key", map[string][]byte{verify.KeySSH: []byte("dev@example.com ssh-ed25519 AAAA")}, "allowed_signers: line 1: not an SSH public key"},
		{"unsupported option", map[string][]byte{verify.KeySSH: []byte("dev@example.com valid-after=\"20200101\" " + pub)}, "option \"valid-after\" is not supported"},
		{"ssh ok", map[string][]byte{verify.KeySSH: []byte(pub[:0] + "dev@example.com " + pub)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify.ParseKeys("Secret ns/keys", tt.data)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "Secret ns/keys")):
				t.Errorf("error %v; want one naming the Secret and saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestRangeChecksEveryCommitSinceTheLastApplied(t *testing.T) {
	key, pub := sshKey(t, "trusted")
	keys, err := verify.ParseKeys("Secret ns/keys", map[string][]byte{verify.KeySSH: []byte("dev@example.com " + pub)})
	if err != nil {
		t.Fatal(err)
	}
	r := newRepo(t)
	base := r.commit(sshSign(key)...)
	unsigned := r.commit()
	head := r.commit(sshSign(key)...)

	if s, err := keys.Range(head, ""); err != nil || s.Identity != "dev@example.com" {
		t.Errorf("head only: %+v, %v; want verified", s, err)
	}
	_, err = keys.Range(head, base.Hash.String())
	var verr *verify.Error
	if !errors.As(err, &verr) || verr.Commit != unsigned.Hash.String() || !strings.Contains(verr.Reason, "is not signed") {
		t.Errorf("range over an unsigned commit: %v; want it named", err)
	}
	if s, err := keys.Range(head, unsigned.Hash.String()); err != nil || s.Identity != "dev@example.com" {
		t.Errorf("range after the unsigned commit: %+v, %v; want verified", s, err)
	}
	// A last applied revision that is no ancestor: history was rewritten.
	// Its first file differs from base's: two root commits with the same
	// tree, author and second would be the same commit.
	foreign := newRepo(t)
	if err := os.WriteFile(filepath.Join(foreign.dir, "file"), []byte("foreign"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := foreign.commit(sshSign(key)...)
	if other.Hash == base.Hash {
		t.Fatal("the foreign commit equals base")
	}
	if _, err := keys.Range(head, other.Hash.String()); !errors.As(err, &verr) || !strings.Contains(verr.Reason, "does not descend from the last applied revision") {
		t.Errorf("range from a foreign commit: %v; want refused", err)
	}
}
