package crypto

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age/armor"
)

var encLineRe = regexp.MustCompile(`ENC\[AES256_GCM,[^\]]*\]`)

// encValues returns the ciphertexts of a file in order.
func encValues(s string) []string { return encLineRe.FindAllString(s, -1) }

// swap exchanges two substrings of s.
func swap(s, a, b string) string {
	s = strings.Replace(s, a, "\x00", 1)
	s = strings.Replace(s, b, a, 1)
	return strings.Replace(s, "\x00", b, 1)
}

// damageWrappedKey breaks the header MAC of the first age-wrapped data key,
// leaving the stanza (so the identity still matches) intact.
func damageWrappedKey(t *testing.T, s string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)( *)-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----\n`)
	loc := re.FindStringSubmatchIndex(s)
	block, indent := s[loc[0]:loc[1]], s[loc[2]:loc[3]]
	raw, err := io.ReadAll(armor.NewReader(strings.NewReader(strings.ReplaceAll(block, indent, ""))))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte("\n--- ")) + 5
	if raw[i] == 'A' { // the first base64 character of the header MAC
		raw[i] = 'B'
	} else {
		raw[i] = 'A'
	}
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	lines := strings.SplitAfter(buf.String(), "\n")
	return s[:loc[0]] + indent + strings.Join(lines[:len(lines)-1], indent) + s[loc[1]:]
}

func TestTamper(t *testing.T) {
	sops := sopsPath(t)
	xa, ha := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")
	plain := readFile(t, "testdata/plain/twins.yaml")
	encBytes, err := Encrypt("twins.yaml", plain, EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	enc := string(encBytes)
	vals := encValues(enc) // doc 1 binding, password, username, MAC; doc 2 binding, password, MAC
	pw1, user1, mac1, pw2 := vals[1], vals[2], vals[3], vals[5]
	secrets := []string{"dHdpbi", "twin-"}
	tests := []struct {
		name   string
		tamper func(string) string
		want   error
		msg    string
	}{
		{"rename the Secret", func(s string) string { return strings.Replace(s, "name: db", "name: dc", 1) },
			ErrMACMismatch, "do not match the MAC"},
		{"change the namespace", func(s string) string { return strings.Replace(s, "namespace: prod", "namespace: kube-system", 1) },
			ErrMACMismatch, "do not match the MAC"},
		{"flip a ciphertext byte", func(s string) string {
			return strings.Replace(s, pw1, strings.Replace(pw1, "data:", "data:A", 1), 1)
		}, ErrMACMismatch, "the value at data.password does not decrypt"},
		{"move a value to another key", func(s string) string { return swap(s, pw1, user1) },
			ErrMACMismatch, "the value at data.password does not decrypt: it was changed, or moved there"},
		{"move values between documents", func(s string) string { return swap(s, pw1, pw2) },
			ErrMACMismatch, "do not match the MAC"},
		{"swap the documents", func(s string) string {
			docs := strings.SplitN(s, "\n---\n", 2)
			return docs[1] + "---\n" + docs[0] + "\n"
		}, ErrMACMismatch, "do not match the MAC"},
		{"replace a ciphertext with plaintext", func(s string) string { return strings.Replace(s, pw1, "cGxhaW4=", 1) },
			ErrMACMismatch, "the value at data.password is not encrypted"},
		{"remove a value", func(s string) string { return strings.Replace(s, "  username: "+user1+"\n", "", 1) },
			ErrMACMismatch, "do not match the MAC"},
		{"add a label", func(s string) string {
			return strings.Replace(s, "  namespace: prod\n", "  namespace: prod\n  labels:\n    team: evil\n", 1)
		}, ErrMACMismatch, "do not match the MAC"},
		{"change lastmodified", func(s string) string {
			return regexp.MustCompile(`lastmodified: "\d{4}`).ReplaceAllString(s, `lastmodified: "1999`)
		}, ErrMACMismatch, "MAC does not decrypt"},
		{"remove the MAC", func(s string) string { return regexp.MustCompile(`(?m)^  mac: .*\n`).ReplaceAllString(s, "") },
			ErrMACMismatch, "no MAC"},
		{"replace the MAC with a value", func(s string) string { return strings.Replace(s, mac1, pw1, 1) },
			ErrMACMismatch, "MAC does not decrypt"},
		{"narrow encrypted_regex", func(s string) string { return strings.ReplaceAll(s, BoundEncryptedRegex, "^stringData$") },
			ErrMACMismatch, "do not match the MAC"},
		{"set mac_only_encrypted", func(s string) string {
			return strings.Replace(s, "  version: 3.13.3\n", "  version: 3.13.3\n  mac_only_encrypted: true\n", 1)
		}, ErrUnsupported, "mac_only_encrypted"},
		{"drop the identity's wrapped key", func(s string) string {
			return regexp.MustCompile(`(?s)    - enc: \|\n.*?recipient: age1[02-9ac-hj-np-z]{58}\n`).ReplaceAllString(s, "")
		}, ErrNoMatchingIdentity, "encrypted for " + ShortRecipient(ha.recipient)},
		{"damage the identity's wrapped key", func(s string) string { return damageWrappedKey(t, s) },
			ErrMalformed, "the data key wrapped for " + xa.recipient + " is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := tt.tamper(enc)
			if tampered == enc {
				t.Fatal("the tamper function changed nothing")
			}
			_, err := Decrypt("twins.yaml", []byte(tampered), idsOf(xa))
			checkErr(t, err, tt.want, "twins.yaml")
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			for _, s := range secrets {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error quotes a value: %q", err)
				}
			}
			for _, other := range []error{ErrMACMismatch, ErrNoMatchingIdentity, ErrMalformed, ErrUnsupported} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error is also %v", other)
				}
			}
			// The sops CLI refuses the file as well.
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "twins.yaml"), []byte(tampered))
			if _, err := sopsCLI(t, sops, dir, []testKey{xa}, "decrypt", "twins.yaml"); err == nil {
				t.Error("sops decrypted the tampered file")
			}
		})
	}
	if _, err := Decrypt("twins.yaml", encBytes, idsOf(xa)); err != nil {
		t.Fatalf("the untampered file: %v", err)
	}
}

// TestTamperOutsideTheMAC documents what the SOPS MAC does not cover:
// mapping keys of plaintext values and comments. The sops CLI accepts every
// one of these changes; Decrypt accepts a comment, and refuses a renamed
// key that changes a Secret's identity, which the binding annotation seals
// (binding_test.go has the full list).
func TestTamperOutsideTheMAC(t *testing.T) {
	sops := sopsPath(t)
	xa := loadKey(t, "x25519-a")
	enc, err := Encrypt("twins.yaml", readFile(t, "testdata/plain/twins.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		from string
		to   string
		want error
	}{
		{"rename the namespace key", "  namespace: prod\n", "  x-namespace: prod\n", ErrIdentityMismatch},
		{"add a comment", "kind: Secret\n", "kind: Secret # edited\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := strings.Replace(string(enc), tt.from, tt.to, 1)
			d, err := Decrypt("twins.yaml", []byte(tampered), idsOf(xa))
			switch {
			case tt.want != nil:
				checkErr(t, err, tt.want, "twins.yaml")
			case err != nil:
				t.Fatalf("Decrypt refused a change the SOPS MAC does not cover (update this test and the package doc): %v", err)
			case !strings.Contains(string(d.Plaintext), tt.to):
				t.Error("the change is not in the output")
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "twins.yaml"), []byte(tampered))
			if _, err := sopsCLI(t, sops, dir, []testKey{xa}, "decrypt", "twins.yaml"); err != nil {
				t.Errorf("sops refused it (the MAC covers it now: update this test and the package doc): %v", err)
			}
		})
	}
}
