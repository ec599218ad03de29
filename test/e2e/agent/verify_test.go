package agent_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/verify"
)

// gitWork runs git in the test repository's work tree, with env added.
func (e *env) gitWork(env []string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Dev", "-c", "user.email=dev@example.com"}, args...)...)
	cmd.Dir = e.repo.Dir()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// signedCommit writes files, commits them with the git CLI and the signing
// arguments sign (none: unsigned), pushes and asks for a sync.
func (e *env) signedCommit(sign, env []string, files map[string][]byte) string {
	e.t.Helper()
	for name, content := range files {
		path := filepath.Join(e.repo.Dir(), name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.gitWork(env, "add", "--all")
	args := append(append([]string{"-c", "commit.gpgsign=false"}, sign...), "commit", "--quiet", "--allow-empty", "-m", "change")
	if sign != nil {
		args = append(args, "-S")
	}
	e.gitWork(env, args...)
	return e.push()
}

func (e *env) push() string {
	e.t.Helper()
	e.gitWork(nil, "push", "--quiet", "--force", "origin", "HEAD")
	e.syncNow()
	return e.gitWork(nil, "rev-parse", "HEAD")
}

// sshSigningKey makes an ed25519 key and returns git's signing arguments
// and its allowed-signers line for principal.
func sshSigningKey(t *testing.T, principal string) ([]string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + path}, principal + " " + strings.TrimSpace(string(pub))
}

// gpgSigningKey makes an OpenPGP key in its own GNUPGHOME and returns
// git's signing arguments, the environment they need and the armored
// public key.
func gpgSigningKey(t *testing.T, uid string) ([]string, []string, []byte) {
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
	gpg := func(args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--batch", "--quiet"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	gpg("--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
	fpr := ""
	for _, line := range strings.Split(gpg("--with-colons", "--list-keys", uid), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" && fpr == "" {
			fpr = f[9]
		}
	}
	return []string{"-c", "gpg.format=openpgp", "-c", "user.signingkey=" + fpr}, env, []byte(gpg("--armor", "--export", fpr))
}

func TestOnlyCommitsSignedByATrustedKeyAreApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sshSign, sshAllowed := sshSigningKey(t, "dev@example.com")
	otherSign, _ := sshSigningKey(t, "mallory@example.com")
	pgpSign, pgpEnv, pgpKey := gpgSigningKey(t, "Dev <dev@example.com>")
	trusted := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "trusted-keys", Namespace: e.ns},
		Data: map[string][]byte{verify.KeySSH: []byte(sshAllowed + "\n"), verify.KeyOpenPGP: pgpKey}}
	if err := kube.Client.Create(e.ctx, trusted); err != nil {
		t.Fatal(err)
	}

	good := e.signedCommit(sshSign, nil, map[string][]byte{"config.yaml": configMap("web-config", "signed-ssh")})
	e.createGitSync("app", time.Hour, func(gs *v1alpha1.GitSync) {
		gs.Spec.Verify = &v1alpha1.Verify{SecretRef: v1alpha1.LocalObjectReference{Name: "trusted-keys"}}
	})
	gs := e.waitApplied("app", good)
	if !strings.Contains(gs.Status.VerifiedSigner, "dev@example.com (ssh key SHA256:") {
		t.Errorf("status.verifiedSigner = %q, want the SSH principal and fingerprint", gs.Status.VerifiedSigner)
	}

	pgpGood := e.signedCommit(pgpSign, pgpEnv, map[string][]byte{"config.yaml": configMap("web-config", "signed-pgp")})
	gs = e.waitApplied("app", pgpGood)
	if !strings.Contains(gs.Status.VerifiedSigner, "Dev <dev@example.com> (openpgp key ") {
		t.Errorf("status.verifiedSigner = %q, want the OpenPGP identity and fingerprint", gs.Status.VerifiedSigner)
	}
	applied := e.liveConfigMap("web-config").ResourceVersion

	refused := func(name, sha, want string) {
		t.Helper()
		e.eventually(60*time.Second, name+": "+sha[:8]+" refused", func() (bool, error) {
			gs := e.get("app")
			return gs.Status.LastAttemptedRevision == sha, nil
		})
		msg := e.waitFailed("app", v1alpha1.ReasonVerificationFailed)
		if !strings.Contains(msg, "commit "+sha) || !strings.Contains(msg, want) {
			t.Errorf("%s: Ready message %q does not name commit %s and say %q", name, msg, sha, want)
		}
		if cm := e.liveConfigMap("web-config"); cm.ResourceVersion != applied || cm.Data["greeting"] != "signed-pgp" {
			t.Errorf("%s: the refused commit changed web-config (greeting %q)", name, cm.Data["greeting"])
		}
		if e.configMapExists("extra") {
			t.Errorf("%s: an object of the refused commit was applied", name)
		}
		if gs := e.get("app"); gs.Status.LastAppliedRevision != pgpGood {
			t.Errorf("%s: lastAppliedRevision = %s, want %s", name, gs.Status.LastAppliedRevision, pgpGood)
		}
	}
	// Nothing is pruned either: config.yaml goes away in each refused commit.
	change := map[string][]byte{"extra.yaml": configMap("extra", "x")}
	os.Remove(filepath.Join(e.repo.Dir(), "config.yaml"))

	unsigned := e.signedCommit(nil, nil, change)
	refused("unsigned", unsigned, "is not signed")

	untrusted := e.signedCommit(otherSign, nil, change)
	refused("signed by an untrusted key", untrusted, "not among the allowed signers (signer ssh key SHA256:")

	// A signed commit changed afterwards: same signature, other content.
	// The signed original is never pushed.
	e.gitWork(nil, append(sshSign, "commit", "--quiet", "--allow-empty", "-S", "-m", "change")...)
	raw := e.gitWork(nil, "cat-file", "commit", "HEAD")
	forged := strings.Replace(raw, "\n\nchange", "\n\nchanged after signing", 1)
	path := filepath.Join(e.dir, "forged")
	if err := os.WriteFile(path, []byte(forged+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sha := e.gitWork(nil, "hash-object", "-t", "commit", "-w", path)
	e.gitWork(nil, "update-ref", "refs/heads/main", sha)
	if got := e.push(); got != sha {
		t.Fatalf("pushed %s, want the forged %s", got, sha)
	}
	refused("wrongly signed", sha, "does not verify: the commit was changed after signing, or signed for another purpose (signer dev@example.com")
}

func TestAllSinceLastAppliedRefusesAnUnsignedCommitUnderASignedOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sign, allowed := sshSigningKey(t, "dev@example.com")
	trusted := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "trusted-keys", Namespace: e.ns},
		Data: map[string][]byte{verify.KeySSH: []byte(allowed + "\n")}}
	if err := kube.Client.Create(e.ctx, trusted); err != nil {
		t.Fatal(err)
	}
	first := e.signedCommit(sign, nil, map[string][]byte{"h/cm.yaml": configMap("h-config", "v1"), "a/cm.yaml": configMap("a-config", "v1")})
	for name, mode := range map[string]string{"head": v1alpha1.VerifyHeadOnly, "all": v1alpha1.VerifyAllSinceLastApplied} {
		e.createGitSync(name, time.Hour, func(gs *v1alpha1.GitSync) {
			gs.Spec.Path = map[string]string{"head": "h", "all": "a"}[name]
			gs.Spec.Verify = &v1alpha1.Verify{SecretRef: v1alpha1.LocalObjectReference{Name: "trusted-keys"}, Mode: mode}
		})
	}
	e.waitApplied("head", first)
	e.waitApplied("all", first)

	// An unsigned commit with a signed one on top, pushed together.
	e.write(map[string][]byte{"h/cm.yaml": configMap("h-config", "v2"), "a/cm.yaml": configMap("a-config", "v2")})
	e.gitWork(nil, "add", "--all")
	e.gitWork(nil, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "unsigned")
	unsigned := e.gitWork(nil, "rev-parse", "HEAD")
	e.gitWork(nil, append(sign, "commit", "--quiet", "--allow-empty", "-S", "-m", "signed on top")...)
	head := e.push()

	e.waitApplied("head", head) // HeadOnly checks the fetched commit alone
	msg := e.waitFailed("all", v1alpha1.ReasonVerificationFailed)
	if !strings.Contains(msg, "commit "+unsigned+" is not signed") {
		t.Errorf("Ready message %q does not name the unsigned commit %s", msg, unsigned)
	}
	if v := e.configMapValue("a-config"); v != "v1" {
		t.Errorf("a-config = %q after a refused range, want v1", v)
	}
}
