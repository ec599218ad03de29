package cli

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/seal-gitops/seal/agent/source"
)

// scpLikeURL is git's user@host:path form of an SSH URL.
var scpLikeURL = regexp.MustCompile(`^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):\S+$`)

// gitURLKind tells an ssh, https or http URL apart; "" for anything else.
func gitURLKind(u string) string {
	switch {
	case strings.HasPrefix(u, "ssh://"), scpLikeURL.MatchString(u):
		return "ssh"
	case strings.HasPrefix(u, "https://"):
		return "https"
	case strings.HasPrefix(u, "http://"):
		return "http"
	}
	return ""
}

// checkGitURL checks --url and that the credential flags fit it.
func checkGitURL(o *bootstrapOptions) error {
	kind := gitURLKind(o.URL)
	if kind == "" {
		return usagef("--url %q: want https://, ssh:// or user@host:path", o.URL)
	}
	if kind != "ssh" || strings.HasPrefix(o.URL, "ssh://") {
		u, err := url.Parse(o.URL)
		if err != nil || u.Host == "" {
			return usagef("--url: not a valid URL")
		}
		if _, set := u.User.Password(); set {
			return usagef("--url must not hold a password: pass it with --password-env or --token-env")
		}
	}
	httpCreds := o.TokenEnv != "" || o.Username != "" || o.PasswordEnv != ""
	switch {
	case o.SSHKey != "" && httpCreds:
		return usagef("--ssh-key cannot be combined with --token-env, --username or --password-env")
	case o.TokenEnv != "" && o.PasswordEnv != "":
		return usagef("give either --token-env or --password-env, not both")
	case o.PasswordEnv != "" && o.Username == "":
		return usagef("--password-env needs --username")
	case o.Username != "" && o.TokenEnv == "" && o.PasswordEnv == "":
		return usagef("--username needs --password-env VAR (or --token-env VAR)")
	case o.KnownHosts != "" && o.SSHKey == "":
		return usagef("--known-hosts goes with --ssh-key")
	case kind == "ssh" && (httpCreds || o.CAFile != ""):
		return usagef("--url %q is an SSH URL: give --ssh-key FILE and --known-hosts FILE, or an https:// URL", o.URL)
	case kind == "ssh" && o.SSHKey == "":
		return usagef("--url %q is an SSH URL: give --ssh-key FILE (a deploy key) and --known-hosts FILE", o.URL)
	case kind != "ssh" && o.SSHKey != "":
		return usagef("--ssh-key needs an ssh:// or user@host:path --url")
	case kind == "http" && httpCreds:
		return usagef("--url %q is plain http://: the credentials would cross the network in clear text; use https://", o.URL)
	case kind == "http" && o.CAFile != "":
		return usagef("--ca-file needs an https:// --url")
	case o.SSHKey != "" && o.KnownHosts == "":
		return withHint(usagef("--known-hosts FILE is required with --ssh-key: seal-agent always checks the server's host key"),
			"%s > known_hosts, check the keys against your Git host's published fingerprints, then pass --known-hosts known_hosts", keyscanCommand(o.URL))
	}
	return nil
}

// keyscanCommand is the ssh-keyscan command line for an SSH URL's host.
func keyscanCommand(u string) string {
	host, port := "HOST", ""
	if m := scpLikeURL.FindStringSubmatch(u); m != nil {
		host = m[1]
	} else if parsed, err := url.Parse(u); err == nil && parsed.Hostname() != "" {
		host, port = parsed.Hostname(), parsed.Port()
	}
	if port != "" && port != "22" {
		return "ssh-keyscan -p " + port + " " + host
	}
	return "ssh-keyscan " + host
}

// readGitCredentials reads the credentials the flags name into the data
// of a credentials Secret (the keys seal-agent reads); nil when there are
// none. Errors name the flag, the file or the variable, never a value.
func readGitCredentials(f *Factory, wd string, o *bootstrapOptions) (map[string][]byte, error) {
	data := map[string][]byte{}
	switch {
	case o.SSHKey != "":
		key, err := readSSHKey(wdPath(wd, o.SSHKey))
		if err != nil {
			return nil, err
		}
		hosts, err := readKnownHosts(wdPath(wd, o.KnownHosts))
		if err != nil {
			return nil, err
		}
		data[source.KeyIdentity], data[source.KeyKnownHosts] = key, hosts
	case o.TokenEnv != "":
		token, err := secretFromEnv(f, "--token-env", o.TokenEnv)
		if err != nil {
			return nil, err
		}
		user := o.Username
		if user == "" {
			user = "git"
		}
		data[source.KeyUsername], data[source.KeyPassword] = []byte(user), token
	case o.PasswordEnv != "":
		password, err := secretFromEnv(f, "--password-env", o.PasswordEnv)
		if err != nil {
			return nil, err
		}
		data[source.KeyUsername], data[source.KeyPassword] = []byte(o.Username), password
	}
	if o.CAFile != "" {
		ca, err := readCA(wdPath(wd, o.CAFile))
		if err != nil {
			return nil, err
		}
		data[source.KeyCA] = ca
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

// envVarName is what a conventional environment variable's name looks
// like. Only such a name is repeated in messages: a mistyped flag could
// hold the token itself.
var envVarName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

// secretFromEnv reads a credential from the environment variable name.
func secretFromEnv(f *Factory, flag, name string) ([]byte, error) {
	value := strings.TrimRight(f.Getenv(name), "\r\n")
	if value != "" {
		return []byte(value), nil
	}
	if !envVarName.MatchString(name) {
		return nil, withHint(usagef("%s: the environment variable it names is not set (its name is not repeated here: it does not look like one)", flag),
			"%s takes the NAME of an environment variable, such as GIT_TOKEN, never the secret itself", flag)
	}
	return nil, withHint(usagef("%s %s: the environment variable %s is empty or not set", flag, name, name),
		"export %s first (read from the environment, it stays out of the shell's history and the process list)", name)
}

// readSSHKey reads an unencrypted SSH private key.
func readSSHKey(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--ssh-key: %w", err)
	}
	_, err = ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, withHint(fmt.Errorf("--ssh-key %s: the key is protected by a passphrase, which seal-agent cannot type", file),
			"make a deploy key without one: ssh-keygen -t ed25519 -N '' -f deploy-key, and add deploy-key.pub to the repository")
	case err != nil:
		return nil, withHint(fmt.Errorf("--ssh-key %s: not an SSH private key in PEM or OpenSSH format", file),
			"give the private key file, not the .pub one")
	}
	return data, nil
}

// readKnownHosts reads a known_hosts file and checks every entry.
func readKnownHosts(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--known-hosts: %w", err)
	}
	entries := 0
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, _, _, _, err := ssh.ParseKnownHosts([]byte(line)); err != nil {
			return nil, fmt.Errorf("--known-hosts %s: line %d is not a known_hosts entry", file, i+1)
		}
		entries++
	}
	if entries == 0 {
		return nil, withHint(fmt.Errorf("--known-hosts %s: holds no host key", file), "fill it with ssh-keyscan HOST > %s", file)
	}
	return data, nil
}

// readCA reads a PEM bundle of CA certificates.
func readCA(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	rest, found := data, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("--ca-file %s: certificate %d does not parse", file, found+1)
		}
		found++
	}
	if found == 0 {
		return nil, fmt.Errorf("--ca-file %s: holds no PEM certificate", file)
	}
	return data, nil
}
