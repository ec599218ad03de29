package source

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Keys of a credentials Secret.
const (
	KeyUsername    = "username"
	KeyPassword    = "password"
	KeyBearerToken = "bearerToken"
	KeyIdentity    = "identity"
	KeyKnownHosts  = "known_hosts"
	KeyCA          = "ca.crt"
)

// Auth holds the credentials for one repository. The zero Auth fetches
// anonymously over HTTP(S); SSH always needs SSHKey and KnownHosts.
type Auth struct {
	// Username and Password are HTTP(S) basic-auth credentials.
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer" over HTTP(S).
	BearerToken string
	// SSHKey is an unencrypted SSH private key (PEM or OpenSSH format).
	SSHKey []byte
	// KnownHosts holds known_hosts lines for the SSH server.
	KnownHosts []byte
	// CA is a PEM bundle trusted for HTTPS in addition to the system roots.
	CA []byte
}

// AuthFromSecret reads the credentials Secret called name (its data map):
// username and password, or bearerToken, for HTTPS; identity with
// known_hosts for SSH; optionally ca.crt. Errors name the Secret and the
// key, never a value. Trailing newlines are trimmed from username,
// password and bearerToken.
func AuthFromSecret(name string, data map[string][]byte) (Auth, error) {
	bad := func(format string, args ...any) error {
		//lint:ignore ST1005 the message starts with the object's kind, as Kubernetes messages do
		return fmt.Errorf("Secret %q: %s: %w", name, fmt.Sprintf(format, args...), ErrInvalidSecret)
	}
	a := Auth{
		Username:    trimNewline(data[KeyUsername]),
		Password:    trimNewline(data[KeyPassword]),
		BearerToken: trimNewline(data[KeyBearerToken]),
		SSHKey:      data[KeyIdentity],
		KnownHosts:  data[KeyKnownHosts],
		CA:          data[KeyCA],
	}
	_, hasUser := data[KeyUsername]
	_, hasPass := data[KeyPassword]
	_, hasToken := data[KeyBearerToken]
	_, hasKey := data[KeyIdentity]
	_, hasHosts := data[KeyKnownHosts]
	_, hasCA := data[KeyCA]
	only := KeyUsername
	if hasPass {
		only = KeyPassword
	}
	empty := KeyUsername
	if a.Username != "" {
		empty = KeyPassword
	}
	switch {
	case !hasUser && !hasPass && !hasToken && !hasKey && !hasHosts && !hasCA:
		return Auth{}, bad("holds none of the keys %s", strings.Join([]string{KeyUsername, KeyPassword, KeyBearerToken, KeyIdentity, KeyKnownHosts, KeyCA}, ", "))
	case hasUser != hasPass:
		return Auth{}, bad("keys %q and %q go together; only %q is set", KeyUsername, KeyPassword, only)
	case hasUser && (a.Username == "" || a.Password == ""):
		return Auth{}, bad("key %q is empty", empty)
	case hasToken && a.BearerToken == "":
		return Auth{}, bad("key %q is empty", KeyBearerToken)
	case hasToken && hasUser:
		return Auth{}, bad("set either %q or %q and %q, not both", KeyBearerToken, KeyUsername, KeyPassword)
	case hasKey && !hasHosts:
		return Auth{}, bad("key %q is required with %q: the SSH server's host key is always checked", KeyKnownHosts, KeyIdentity)
	case hasKey && (hasUser || hasToken):
		return Auth{}, bad("key %q (SSH) cannot be combined with HTTPS credentials", KeyIdentity)
	}
	if hasKey {
		if _, err := parseIdentity(a.SSHKey); err != nil {
			return Auth{}, bad("key %q: %v", KeyIdentity, err)
		}
	}
	if hasHosts {
		if err := checkKnownHosts(a.KnownHosts); err != nil {
			return Auth{}, bad("key %q: %v", KeyKnownHosts, err)
		}
	}
	if hasCA {
		if err := checkCA(a.CA); err != nil {
			return Auth{}, bad("key %q: %v", KeyCA, err)
		}
	}
	return a, nil
}

func trimNewline(b []byte) string { return strings.TrimRight(string(b), "\r\n") }

// parseIdentity parses an SSH private key. Its errors are our own words:
// the parser's might quote the input.
func parseIdentity(key []byte) (ssh.Signer, error) {
	signer, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, errors.New("the private key is protected by a passphrase; give an unencrypted key")
	case err != nil:
		return nil, errors.New("not an SSH private key in PEM or OpenSSH format")
	}
	return signer, nil
}

// checkKnownHosts checks that every entry of a known_hosts file parses
// and that there is at least one.
func checkKnownHosts(data []byte) error {
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, _, _, _, err := ssh.ParseKnownHosts([]byte(line)); err != nil {
			return fmt.Errorf("line %d is not a known_hosts entry", i+1)
		}
		n++
	}
	if n == 0 {
		return errors.New("holds no host keys")
	}
	return nil
}

// checkCA checks that data holds at least one PEM certificate and nothing
// that is not one.
func checkCA(data []byte) error {
	n := 0
	for rest := data; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if strings.TrimSpace(string(rest)) != "" {
				return errors.New("holds data that is not a PEM certificate")
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("holds a PEM %q block; only CERTIFICATE blocks belong here", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse", n+1)
		}
	}
	if n == 0 {
		return errors.New("holds no PEM certificate")
	}
	return nil
}
