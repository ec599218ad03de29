package verify

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// sshNamespace is the namespace git signs commits in.
const sshNamespace = "git"

// Signer is who signed a verified commit.
type Signer struct {
	Format      string // "openpgp" or "ssh"
	Identity    string // the key's user ID (OpenPGP) or principals (SSH)
	Fingerprint string // hex (OpenPGP) or SHA256:... (SSH)
}

func (s Signer) String() string {
	if s.Identity == "" {
		return s.Format + " key " + s.Fingerprint
	}
	return s.Identity + " (" + s.Format + " key " + s.Fingerprint + ")"
}

// Error is a commit that is not signed by a trusted key.
type Error struct {
	Commit string
	// Signer names the key that signed, when the signature says; empty for
	// an unsigned commit.
	Signer string
	Reason string
}

func (e *Error) Error() string {
	msg := "commit " + e.Commit + " " + e.Reason
	if e.Signer != "" {
		msg += " (signer " + e.Signer + ")"
	}
	return msg
}

// Commit checks c's signature against k and returns the signer.
func (k *Keys) Commit(c *object.Commit) (Signer, error) {
	sig := strings.TrimSpace(c.PGPSignature)
	fail := func(signer, reason string) (Signer, error) {
		return Signer{}, &Error{Commit: c.Hash.String(), Signer: signer, Reason: reason}
	}
	switch {
	case sig == "":
		return fail("", "is not signed: sign commits to this branch (git commit -S) with a key in the trusted keys")
	case strings.HasPrefix(sig, "-----BEGIN SSH SIGNATURE-----"):
		return k.sshCommit(c, sig, fail)
	default:
		return k.pgpCommit(c, sig, fail)
	}
}

func (k *Keys) sshCommit(c *object.Commit, sig string, fail func(string, string) (Signer, error)) (Signer, error) {
	s, err := sshsig.Unarmor([]byte(sig))
	if err != nil {
		return fail("", "carries an SSH signature that does not parse")
	}
	fp := ssh.FingerprintSHA256(s.PublicKey)
	i := slices.IndexFunc(k.ssh, func(a allowedSigner) bool { return bytes.Equal(a.key.Marshal(), s.PublicKey.Marshal()) })
	if i < 0 {
		return fail("ssh key "+fp, "is signed by an SSH key that is not among the allowed signers")
	}
	allowed := k.ssh[i]
	if len(allowed.namespaces) > 0 && !slices.Contains(allowed.namespaces, sshNamespace) {
		return fail(allowed.principals+" (ssh key "+fp+")", "is signed by a key whose allowed signers entry excludes the namespace \"git\"")
	}
	msg, err := unsigned(c)
	if err != nil {
		return Signer{}, err
	}
	if err := sshsig.Verify(bytes.NewReader(msg), s, allowed.key, s.HashAlgorithm, sshNamespace); err != nil {
		return fail(allowed.principals+" (ssh key "+fp+")", "has an SSH signature that does not verify: the commit was changed after signing, or signed for another purpose")
	}
	return Signer{Format: "ssh", Identity: allowed.principals, Fingerprint: fp}, nil
}

func (k *Keys) pgpCommit(c *object.Commit, sig string, fail func(string, string) (Signer, error)) (Signer, error) {
	issuer := pgpIssuer(sig)
	if k.pgp == "" {
		return fail(issuer, "is signed by an OpenPGP key, and no OpenPGP key is trusted")
	}
	entity, err := c.Verify(k.pgp)
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return fail(issuer, "is signed by an OpenPGP key that is not among the trusted keys")
	case err != nil:
		return fail(issuer, "has an OpenPGP signature that does not verify: the commit was changed after signing")
	}
	identity := ""
	for name := range entity.Identities {
		if identity == "" || name < identity {
			identity = name
		}
	}
	return Signer{Format: "openpgp", Identity: identity, Fingerprint: strings.ToUpper(hex.EncodeToString(entity.PrimaryKey.Fingerprint))}, nil
}

// pgpIssuer returns "openpgp key <id>" of the signature's issuer, or "".
func pgpIssuer(sig string) string {
	block, err := armor.Decode(strings.NewReader(sig))
	if err != nil {
		return ""
	}
	p, err := packet.Read(block.Body)
	if err != nil {
		return ""
	}
	s, ok := p.(*packet.Signature)
	if !ok {
		return ""
	}
	switch {
	case len(s.IssuerFingerprint) > 0:
		return "openpgp key " + strings.ToUpper(hex.EncodeToString(s.IssuerFingerprint))
	case s.IssuerKeyId != nil:
		return fmt.Sprintf("openpgp key %016X", *s.IssuerKeyId)
	}
	return ""
}

// unsigned is the commit object as it was signed: without its signature.
func unsigned(c *object.Commit) ([]byte, error) {
	o := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(o); err != nil {
		return nil, fmt.Errorf("commit %s: encoding: %w", c.Hash, err)
	}
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
