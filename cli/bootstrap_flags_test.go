package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshTestFiles writes an unencrypted key, a passphrase-protected one, the
// public key and a known_hosts file into dir.
func sshTestFiles(t *testing.T, dir string) (key, locked, pub, hosts string) {
	t.Helper()
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(sk, "")
	if err != nil {
		t.Fatal(err)
	}
	lockedBlock, err := ssh.MarshalPrivateKeyWithPassphrase(sk, "", []byte("passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	key, locked, pub, hosts = filepath.Join(dir, "key"), filepath.Join(dir, "locked"), filepath.Join(dir, "key.pub"), filepath.Join(dir, "known_hosts")
	auditWrite(t, key, string(pem.EncodeToMemory(block)))
	auditWrite(t, locked, string(pem.EncodeToMemory(lockedBlock)))
	auditWrite(t, pub, string(ssh.MarshalAuthorizedKey(sshPub)))
	auditWrite(t, hosts, knownhosts.Line([]string{"[git.example.com]:2222"}, sshPub)+"\n")
	return key, locked, pub, hosts
}

// TestBootstrapFlags: every mistake in flags, files and environment is
// reported before the cluster is contacted (there is none here: the
// environment has no kubeconfig), naming the flag and what to do, and
// never repeating a credential.
func TestBootstrapFlags(t *testing.T) {
	dir := t.TempDir()
	key, locked, pub, hosts := sshTestFiles(t, dir)
	notPEM := filepath.Join(dir, "ca.txt")
	badHosts, emptyHosts := filepath.Join(dir, "bad_hosts"), filepath.Join(dir, "empty_hosts")
	auditWrite(t, emptyHosts, "# nothing yet\n\n")
	auditWrite(t, notPEM, "not a certificate\n")
	auditWrite(t, badHosts, "git.example.com not-a-key\n")
	badConfig := t.TempDir()
	auditGitRepo(t, badConfig)
	auditWrite(t, filepath.Join(badConfig, ".sops.yaml"), "creation_rules: [unclosed\n")

	sshURL := []string{"--url", "ssh://git@git.example.com:2222/acme/fleet.git", "--path", "clusters/prod"}
	https := []string{"--url", "https://git.example.com/acme/fleet.git", "--path", "clusters/prod"}
	const secretValue = "ghp_s3cretTokenValue"
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		wd   string
		code int
		want []string
	}{
		{"no --url", []string{"--path", "x"}, nil, "", ExitUsage, []string{"seal: error: --url is required: the Git repository to sync\n"}},
		{"no --path", []string{"--url", "https://h/r.git"}, nil, "", ExitUsage, []string{"seal: error: --path is required"}},
		{"an argument", append([]string{"extra"}, https...), nil, "", ExitUsage, []string{"seal: error: seal bootstrap takes only flags, got the argument \"extra\"\n"}},
		{"unknown scheme", []string{"--url", "ftp://h/r.git", "--path", "x"}, nil, "", ExitUsage, []string{"seal: error: --url \"ftp://h/r.git\": want https://, ssh:// or user@host:path\n"}},
		{"password in the URL", []string{"--url", "https://me:" + secretValue + "@h/r.git", "--path", "x"}, nil, "", ExitUsage,
			[]string{"seal: error: --url must not hold a password: pass it with --password-env or --token-env\n"}},
		{"--path outside the repository", append([]string{"--path", "../x"}, https[:2]...), nil, "", ExitUsage, []string{"seal: error: --path \"../x\": must not contain ..\n"}},
		{"absolute --path", append([]string{"--path", "/x"}, https[:2]...), nil, "", ExitUsage, []string{"seal: error: --path \"/x\": must be relative to the repository's root\n"}},
		{"--interval too short", append([]string{"--interval", "5s"}, https...), nil, "", ExitUsage, []string{"seal: error: --interval 5s: must be at least 10s\n"}},
		{"bad --name", append([]string{"--name", "Not_A_Name"}, https...), nil, "", ExitUsage, []string{"seal: error: --name \"Not_A_Name\": a GitSync name must be"}},
		{"bad --namespace", append([]string{"--namespace", "a.b"}, https...), nil, "", ExitUsage, []string{"seal: error: --namespace \"a.b\": not a valid namespace name"}},
		{"SSH URL without a key", sshURL, nil, "", ExitUsage, []string{"is an SSH URL: give --ssh-key FILE (a deploy key) and --known-hosts FILE\n"}},
		{"SSH key without known_hosts", append([]string{"--ssh-key", key}, sshURL...), nil, "", ExitUsage, []string{
			"seal: error: --known-hosts FILE is required with --ssh-key: seal-agent always checks the server's host key\n",
			"seal: hint: ssh-keyscan -p 2222 git.example.com > known_hosts, check the keys against your Git host's published fingerprints, then pass --known-hosts known_hosts\n"}},
		{"scp-like URL without known_hosts", []string{"--url", "git@github.com:acme/fleet.git", "--path", "x", "--ssh-key", key}, nil, "", ExitUsage, []string{
			"seal: hint: ssh-keyscan github.com > known_hosts"}},
		{"SSH key for an HTTPS URL", append([]string{"--ssh-key", key, "--known-hosts", hosts}, https...), nil, "", ExitUsage, []string{"seal: error: --ssh-key needs an ssh:// or user@host:path --url\n"}},
		{"token for an SSH URL", append([]string{"--token-env", "GIT_TOKEN"}, sshURL...), nil, "", ExitUsage, []string{"is an SSH URL: give --ssh-key FILE and --known-hosts FILE, or an https:// URL\n"}},
		{"SSH key and token", append([]string{"--ssh-key", key, "--token-env", "T"}, sshURL...), nil, "", ExitUsage, []string{"seal: error: --ssh-key cannot be combined with --token-env, --username or --password-env\n"}},
		{"token and password", append([]string{"--token-env", "T", "--password-env", "P", "--username", "u"}, https...), nil, "", ExitUsage, []string{"seal: error: give either --token-env or --password-env, not both\n"}},
		{"password without user", append([]string{"--password-env", "P"}, https...), nil, "", ExitUsage, []string{"seal: error: --password-env needs --username\n"}},
		{"user without password", append([]string{"--username", "u"}, https...), nil, "", ExitUsage, []string{"seal: error: --username needs --password-env VAR (or --token-env VAR)\n"}},
		{"credentials over plain http", []string{"--url", "http://h/r.git", "--path", "x", "--token-env", "T"}, nil, "", ExitUsage, []string{"is plain http://: the credentials would cross the network in clear text; use https://\n"}},
		{"token variable unset", append([]string{"--token-env", "GIT_TOKEN"}, https...), nil, "", ExitUsage, []string{
			"seal: error: --token-env GIT_TOKEN: the environment variable GIT_TOKEN is empty or not set\n",
			"seal: hint: export GIT_TOKEN first"}},
		{"the token itself given to --token-env", append([]string{"--token-env", secretValue}, https...), nil, "", ExitUsage, []string{
			"seal: error: --token-env: the environment variable it names is not set (its name is not repeated here: it does not look like one)\n",
			"seal: hint: --token-env takes the NAME of an environment variable, such as GIT_TOKEN, never the secret itself\n"}},
		{"passphrase-protected key", append([]string{"--ssh-key", locked, "--known-hosts", hosts}, sshURL...), nil, "", ExitFailure, []string{
			"seal: error: --ssh-key " + locked + ": the key is protected by a passphrase, which seal-agent cannot type\n",
			"seal: hint: make a deploy key without one"}},
		{"public key as --ssh-key", append([]string{"--ssh-key", pub, "--known-hosts", hosts}, sshURL...), nil, "", ExitFailure, []string{
			"seal: error: --ssh-key " + pub + ": not an SSH private key in PEM or OpenSSH format\n",
			"seal: hint: give the private key file, not the .pub one\n"}},
		{"bad known_hosts", append([]string{"--ssh-key", key, "--known-hosts", badHosts}, sshURL...), nil, "", ExitFailure, []string{
			"seal: error: --known-hosts " + badHosts + ": line 1 is not a known_hosts entry\n"}},
		{"missing known_hosts", append([]string{"--ssh-key", key, "--known-hosts", notPEM + ".missing"}, sshURL...), nil, "", ExitFailure, []string{
			"seal: error: --known-hosts: open " + notPEM + ".missing: no such file or directory\n"}},
		{"empty known_hosts", append([]string{"--ssh-key", key, "--known-hosts", emptyHosts}, sshURL...), nil, "", ExitFailure, []string{
			"seal: error: --known-hosts " + emptyHosts + ": holds no host key\n",
			"seal: hint: fill it with ssh-keyscan HOST > " + emptyHosts + "\n"}},
		{"--ca-file without a certificate", append([]string{"--ca-file", notPEM}, https...), nil, "", ExitFailure, []string{
			"seal: error: --ca-file " + notPEM + ": holds no PEM certificate\n"}},
		{"bad --image", append([]string{"--image", "nope"}, https...), nil, "", ExitUsage, []string{"seal: error: --image \"nope\": "}},
		{"tenant mode without a service account", append([]string{"--tenant"}, https...), nil, "", ExitUsage, []string{
			"seal: error: --tenant needs --service-account NAME: in tenant mode each GitSync applies as a service account of its namespace\n"}},
		{"bad --service-account", append([]string{"--service-account", "Not_An_Account"}, https...), nil, "", ExitUsage, []string{
			"seal: error: --service-account \"Not_An_Account\": not a valid service account name"}},
		{"--dry-run with --export", append([]string{"--dry-run", "--export"}, https...), nil, "", ExitUsage, []string{
			"seal: error: --dry-run and --export cannot be combined: --export never talks to the cluster\n"}},
		{"no version and no --image", https, nil, "", ExitUsage, []string{
			"seal: error: --image is required: this seal was built without a version, so it cannot tell which seal-agent image matches it\n",
			"seal: hint: build and push the agent image (make image IMAGE=REGISTRY/seal-agent:TAG), then pass --image REGISTRY/seal-agent:TAG\n"}},
		{".sops.yaml seal cannot edit", append([]string{"--image", testImage}, https...), nil, badConfig, ExitFailure, []string{
			"(or pass --skip-sops-config)\n", "seal: hint: fix it before seal edits it\n"}},
		{"all good until the cluster", append([]string{"--token-env", "GIT_TOKEN", "--image", testImage}, https...), map[string]string{"GIT_TOKEN": secretValue, "HOME": dir}, "", ExitFailure, []string{
			"seal: error: no Kubernetes configuration found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wd := tt.wd
			if wd == "" {
				wd = t.TempDir()
			}
			r := runSeal(t, wd, tt.env, "", append([]string{"bootstrap"}, tt.args...)...)
			if r.Code != tt.code || r.Stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q", r.Code, tt.code, r.Stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
			if strings.Contains(r.Stderr, secretValue) {
				t.Errorf("a credential was printed")
			}
		})
	}
}

func TestBootstrapNames(t *testing.T) {
	for _, tt := range []struct{ branch, want string }{
		{"main", "main"},
		{"Production", "production"},
		{"release/1.2", "release-1-2"},
		{"env//prod__eu", "env-prod-eu"},
		{"-feature-", "feature"},
		{"/_/", "cluster"},
		{strings.Repeat("a", 62) + "/b", strings.Repeat("a", 62)},
	} {
		if got := defaultGitSyncName(tt.branch); got != tt.want {
			t.Errorf("defaultGitSyncName(%q) = %q, want %q", tt.branch, got, tt.want)
		}
	}
	for _, tt := range []struct{ path, clean, regex string }{
		{"clusters/prod", "clusters/prod", `^clusters/prod/.*\.ya?ml$`},
		{"./clusters/prod/", "clusters/prod", `^clusters/prod/.*\.ya?ml$`},
		{"clusters/prod.eu", "clusters/prod.eu", `^clusters/prod\.eu/.*\.ya?ml$`},
		{".", "", `\.ya?ml$`},
	} {
		clean, err := cleanRepoPath(tt.path)
		if err != nil || clean != tt.clean {
			t.Errorf("cleanRepoPath(%q) = %q, %v; want %q", tt.path, clean, err, tt.clean)
		}
		if got := sopsPathRegex(clean); got != tt.regex {
			t.Errorf("sopsPathRegex(%q) = %q, want %q", clean, got, tt.regex)
		}
	}
}

// TestDefaultAgentImage: the default image is the one released with this
// seal's version, tagged so that a registry accepts it.
func TestDefaultAgentImage(t *testing.T) {
	for _, tt := range []struct{ version, want string }{
		{"v0.3.1", "ghcr.io/seal-gitops/seal-agent:v0.3.1"},
		{"v1.0.0-rc.1", "ghcr.io/seal-gitops/seal-agent:v1.0.0-rc.1"},
		{"v0.0.0-20261205120113-76252fb1a2b3+dirty", "ghcr.io/seal-gitops/seal-agent:v0.0.0-20261205120113-76252fb1a2b3-dirty"},
		{"(devel)", ""},
		{"", ""},
	} {
		got, err := defaultAgentImage(tt.version)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("defaultAgentImage(%q) = %q, %v; want %q", tt.version, got, err, tt.want)
		}
	}
}

func TestInstallHelp(t *testing.T) {
	for _, cmd := range []string{"bootstrap", "status", "uninstall", "import"} {
		t.Run(cmd, func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", cmd, "--help")
			if r.Code != ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			golden(t, cmd+"-help.txt", r.Stdout)
		})
	}
}
