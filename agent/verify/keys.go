package verify

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"golang.org/x/crypto/ssh"
)

// Keys of a trusted-keys Secret.
const (
	// KeyOpenPGP holds ASCII-armored OpenPGP public keys
	// (gpg --armor --export).
	KeyOpenPGP = "pgp.asc"
	// KeySSH holds SSH public keys in git's allowed-signers format
	// (gpg.ssh.allowedSignersFile): "principals [options] key-type key".
	KeySSH = "allowed_signers"
)

// Keys are the keys a commit may be signed by.
type Keys struct {
	pgp string // armored key ring, checked to parse
	ssh []allowedSigner
}

type allowedSigner struct {
	principals string
	namespaces []string // from namespaces="..."; empty: any
	key        ssh.PublicKey
}

// ParseKeys reads trusted keys from the data of source (a Secret, named
// in errors). At least one key is required.
func ParseKeys(source string, data map[string][]byte) (*Keys, error) {
	k := &Keys{}
	if b := bytes.TrimSpace(data[KeyOpenPGP]); len(b) > 0 {
		ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: not ASCII-armored OpenPGP public keys (gpg --armor --export): %w", source, KeyOpenPGP, err)
		}
		if len(ring) == 0 {
			return nil, fmt.Errorf("%s: %s holds no key", source, KeyOpenPGP)
		}
		k.pgp = string(b)
	}
	if b := data[KeySSH]; len(b) > 0 {
		signers, err := parseAllowedSigners(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", source, KeySSH, err)
		}
		k.ssh = signers
	}
	if k.pgp == "" && len(k.ssh) == 0 {
		return nil, fmt.Errorf("%s: no trusted keys: put OpenPGP public keys under %q or SSH allowed signers under %q", source, KeyOpenPGP, KeySSH)
	}
	return k, nil
}

// parseAllowedSigners reads git's allowed-signers format (ssh-keygen(1),
// ALLOWED SIGNERS). No library parses it; the format is one line per key,
// so this is short. Options other than namespaces (validity periods,
// cert-authority) are refused rather than ignored.
func parseAllowedSigners(data []byte) ([]allowedSigner, error) {
	var out []allowedSigner
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"principals [options] key-type key\"", n)
		}
		rest = strings.TrimSpace(rest)
		var s allowedSigner
		s.principals = principals
		if opts, after, ok := strings.Cut(rest, " "); ok && !isKeyType(opts) {
			for _, opt := range strings.Split(opts, ",") {
				name, value, _ := strings.Cut(opt, "=")
				if !strings.EqualFold(name, "namespaces") {
					return nil, fmt.Errorf("line %d: option %q is not supported: only namespaces=", n, name)
				}
				s.namespaces = strings.Split(strings.Trim(value, `"`), ",")
			}
			rest = strings.TrimSpace(after)
		}
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("line %d: not an SSH public key: %w", n, err)
		}
		s.key = key
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no allowed signer")
	}
	return out, nil
}

func isKeyType(s string) bool {
	return strings.HasPrefix(s, "ssh-") || strings.HasPrefix(s, "ecdsa-") || strings.HasPrefix(s, "sk-")
}
