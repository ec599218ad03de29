package keys

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assertNoSecret fails when msg holds any 8 characters in a row of the key
// material of the given secret keys.
func assertNoSecret(t *testing.T, msg string, secrets ...string) {
	t.Helper()
	upper := strings.ToUpper(msg)
	for _, s := range secrets {
		body := strings.ToUpper(s[strings.LastIndexByte(s, '1')+1:])
		for i := 0; i+8 <= len(body); i++ {
			if strings.Contains(upper, body[i:i+8]) {
				t.Fatalf("error message holds key material: %q", msg)
			}
		}
	}
}

func TestParseIdentities(t *testing.T) {
	h1, h2, x1 := mustGenerate(t, Hybrid), mustGenerate(t, Hybrid), mustGenerate(t, X25519)
	hs, h2s, xs := h1.secret(), h2.secret(), x1.secret()
	tests := []struct {
		name  string
		data  string
		words bool
		want  []string
	}{
		{"one hybrid key with comments", "# created: x\n# public key: " + h1.Recipient() + "\n" + hs + "\n", false, []string{h1.Recipient()}},
		{"several keys of both kinds", "# old\n" + hs + "\n\n# rotated in\n" + xs + "\n" + h2s, false, []string{h1.Recipient(), x1.Recipient(), h2.Recipient()}},
		{"windows line endings, BOM, indentation", "\ufeff# k\r\n  " + hs + "  \r\n\t" + xs + "\r\n", false, []string{h1.Recipient(), x1.Recipient()}},
		{"duplicates dropped", hs + "\n" + hs + "\n", false, []string{h1.Recipient()}},
		{"several keys a line in words mode", hs + " " + xs + "\n" + h2s, true, []string{h1.Recipient(), x1.Recipient(), h2.Recipient()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, err := parseIdentities("keys.txt", []byte(tt.data), tt.words)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ring.Recipients()); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIdentitiesErrors(t *testing.T) {
	h, x := mustGenerate(t, Hybrid), mustGenerate(t, X25519)
	hs, xs := h.secret(), x.secret()
	flip := func(s string, i int) string {
		c := byte('q')
		if s[i] == 'Q' {
			c = 'P'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		name     string
		data     string
		wantIs   error
		wantText string // must appear in the message
	}{
		{"garbage line", "# c\nhello world\n", ErrInvalidIdentity, "keys.txt line 2: not an age secret key"},
		{"truncated hybrid key", "\n\n" + hs[:len(hs)-5] + "\n", ErrInvalidIdentity, "keys.txt line 3: malformed age secret key"},
		{"truncated X25519 key", xs[:len(xs)-10], ErrInvalidIdentity, "keys.txt line 1: malformed"},
		{"corrupted hybrid key", flip(hs, 30), ErrInvalidIdentity, "line 1: malformed"},
		{"corrupted X25519 key", flip(xs, 25), ErrInvalidIdentity, "line 1: malformed"},
		{"key with junk appended", hs + "QQQQ", ErrInvalidIdentity, "line 1: malformed"},
		{"two keys on a line", hs + " " + xs, ErrInvalidIdentity, "line 1: malformed"},
		{"recipient instead of key", x.Recipient(), ErrInvalidIdentity, "line 1: this is a recipient"},
		{"plugin identity", "AGE-PLUGIN-YUBIKEY-1QQQQQQ", ErrInvalidIdentity, "plugin identities are not supported"},
		{"ssh key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", ErrInvalidIdentity, "line 1: PEM and SSH"},
		{"invalid UTF-8", "# ok\n" + hs[:20] + "\xff\xfe" + hs[22:], ErrInvalidIdentity, "line 2: not valid UTF-8"},
		{"empty file", "", ErrNoIdentity, "keys.txt: no age identity found"},
		{"comments only", "# nothing\n\n#here\n", ErrNoIdentity, "seal keygen"},
		{"too large", strings.Repeat("#", maxIdentityFile+1), ErrInvalidIdentity, "larger than 16 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, err := ParseIdentities("keys.txt", []byte(tt.data))
			if err == nil {
				t.Fatalf("parsed %d identities, want an error", ring.Len())
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			assertNoSecret(t, err.Error(), hs, xs)
		})
	}
}
