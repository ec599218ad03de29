package crypto

import (
	"strings"
	"testing"

	"filippo.io/age"
)

func TestDecryptIdentity(t *testing.T) {
	xa, xb, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	enc, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ids  []age.Identity
		want int
	}{
		{"first", idsOf(xa), 0},
		{"both, in order", idsOf(xa, ha), 0},
		{"both, reversed", idsOf(ha, xa), 0},
		{"after strangers", idsOf(xb, hb, ha), 2},
		{"nil skipped", []age.Identity{nil, xa.id}, 1},
		{"scrypt identity skipped", []age.Identity{mustScrypt(t), hb.id, xa.id}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decrypt("s.yaml", enc, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if d.Identity != tt.want {
				t.Errorf("Identity = %d, want %d", d.Identity, tt.want)
			}
		})
	}
}

func mustScrypt(t *testing.T) age.Identity {
	id, err := age.NewScryptIdentity("a test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestDecryptErrors(t *testing.T) {
	xa, xb, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "x25519-b"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	plain := readFile(t, "testdata/plain/secret.yaml")
	enc, err := Encrypt("s.yaml", plain, EncryptOptions{Recipients: recipientsOf(xa, ha)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data []byte
		ids  []age.Identity
		want error
		msg  string
	}{
		{"wrong keys", "s.yaml", enc, idsOf(xb, hb), ErrNoMatchingIdentity,
			"encrypted for " + xa.recipient + ", " + ShortRecipient(ha.recipient) + "; none of the 2 identities given opens it"},
		{"one wrong key", "s.yaml", enc, idsOf(hb), ErrNoMatchingIdentity, "the identity given does not open it"},
		{"no keys", "s.yaml", enc, nil, ErrNoMatchingIdentity, "no identity was given"},
		{"plaintext", "s.yaml", plain, idsOf(xa), ErrNotEncrypted, "seal encrypt"},
		{"empty", "s.yaml", nil, idsOf(xa), ErrNotEncrypted, ""},
		{"too large", "s.yaml", append(enc, make([]byte, MaxFileSize)...), idsOf(xa), ErrTooLarge, ""},
		{"not yaml", "s.yaml", []byte("password: [correct-horse-battery-staple\n"), idsOf(xa), ErrMalformed, "invalid YAML near line"},
		{"wrong format", "s.json", enc, idsOf(xa), ErrMalformed, "invalid JSON at line 1"},
		{"bad metadata", "s.yaml", []byte(strings.Replace(string(enc), "lastmodified: \"", "lastmodified: \"x", 1)), idsOf(xa), ErrMalformed, "metadata is invalid"},
		{"no keys in metadata", "s.yaml", []byte("kind: Secret\nsops:\n  mac: x\n  version: 3.13.3\n  lastmodified: \"2024-01-01T00:00:00Z\"\n"), idsOf(xa), ErrMalformed, "no keys"},
		{"bytes value type", "s.yaml", []byte(strings.Replace(string(enc), "type:str]", "type:bytes]", 1)), idsOf(xa), ErrMACMismatch, "metadata.annotations.seal.dev/sealed-for does not decrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decrypt(tt.file, tt.data, tt.ids)
			checkErr(t, err, tt.want, tt.file)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "-----BEGIN") {
				t.Errorf("error quotes a wrapped key: %q", err)
			}
		})
	}
}

// TestDecryptPlaintextComment: a comment added by hand in an encrypted
// place stays as it is (as sops keeps it), and nothing fails.
func TestDecryptPlaintextComment(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	enc, err := Encrypt("s.yaml", readFile(t, "testdata/plain/indent4.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(enc), "stringData:\n", "stringData:\n    # added by hand\n", 1)
	d, err := Decrypt("s.yaml", []byte(edited), idsOf(xa))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Plaintext), "stringData:\n    # added by hand\n    api-key: four-space-indented-secret\n") {
		t.Errorf("the comment was not kept:\n%s", d.Plaintext)
	}
	// A comment that looks encrypted but does not decrypt fails the file.
	bad := strings.Replace(string(enc), "stringData:\n", "stringData:\n    #ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:comment]\n", 1)
	_, err = Decrypt("s.yaml", []byte(bad), idsOf(xa))
	checkErr(t, err, ErrMACMismatch, "s.yaml")
}
