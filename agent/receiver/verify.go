package receiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// ErrUnauthenticated is returned for a delivery whose signature or token
// is missing or wrong.
var ErrUnauthenticated = errors.New("signature missing or wrong")

// Verify checks that body and header were sent by a forge that knows token,
// the way provider signs its deliveries.
func Verify(provider v1alpha1.ReceiverProvider, header http.Header, body, token []byte) error {
	switch provider {
	case v1alpha1.ProviderGitHub:
		return verifyHMAC(header.Get("X-Hub-Signature-256"), "sha256=", body, token)
	case v1alpha1.ProviderGitLab:
		// GitLab sends the secret itself, not a signature.
		got := header.Get("X-Gitlab-Token")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), token) != 1 {
			return ErrUnauthenticated
		}
		return nil
	case v1alpha1.ProviderGitea, v1alpha1.ProviderForgejo:
		sig := header.Get("X-Gitea-Signature")
		if sig == "" {
			sig = header.Get("X-Forgejo-Signature")
		}
		return verifyHMAC(sig, "", body, token)
	case v1alpha1.ProviderBitbucket:
		return verifyHMAC(header.Get("X-Hub-Signature"), "sha256=", body, token)
	case v1alpha1.ProviderGeneric:
		return verifyHMAC(header.Get("X-Signature"), "sha256=", body, token)
	}
	return ErrUnauthenticated
}

// verifyHMAC checks that sig is prefix followed by the hex HMAC-SHA256 of
// body keyed with token.
func verifyHMAC(sig, prefix string, body, token []byte) error {
	hexSig, ok := strings.CutPrefix(sig, prefix)
	if !ok || hexSig == "" {
		return ErrUnauthenticated
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrUnauthenticated
	}
	mac := hmac.New(sha256.New, token)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrUnauthenticated
	}
	return nil
}

// Sign is the hex HMAC-SHA256 of body keyed with token, as the forges
// send it (after their prefix): for tests and for senders of the generic
// form.
func Sign(body, token []byte) string {
	mac := hmac.New(sha256.New, token)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
