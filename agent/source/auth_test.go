package source_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/seal-gitops/seal/agent/source"
)

func sshKeyPair(t *testing.T, passphrase string) (private []byte, knownHosts []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), []byte("# comment\n\ngit.example.com " + string(ssh.MarshalAuthorizedKey(sshPub)))
}

func caPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: time.Now(),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestAuthFromSecret(t *testing.T) {
	key, hosts := sshKeyPair(t, "")
	locked, _ := sshKeyPair(t, "open sesame")
	ca := caPEM(t)
	notCA := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("s3cr3t-bytes")})
	tests := []struct {
		name    string
		data    map[string][]byte
		want    source.Auth
		wantErr string
	}{
		{name: "basic", data: map[string][]byte{"username": []byte("bot"), "password": []byte("pa55word\n")},
			want: source.Auth{Username: "bot", Password: "pa55word"}},
		{name: "bearer with CA", data: map[string][]byte{"bearerToken": []byte("tok3n-value"), "ca.crt": ca},
			want: source.Auth{BearerToken: "tok3n-value", CA: ca}},
		{name: "ssh", data: map[string][]byte{"identity": key, "known_hosts": hosts},
			want: source.Auth{SSHKey: key, KnownHosts: hosts}},
		{name: "only a CA", data: map[string][]byte{"ca.crt": ca}, want: source.Auth{CA: ca}},
		{name: "empty", data: map[string][]byte{"other": []byte("x")}, wantErr: "holds none of the keys"},
		{name: "username alone", data: map[string][]byte{"username": []byte("bot")}, wantErr: `only "username" is set`},
		{name: "password alone", data: map[string][]byte{"password": []byte("pa55word")}, wantErr: `only "password" is set`},
		{name: "empty password", data: map[string][]byte{"username": []byte("bot"), "password": []byte("\n")}, wantErr: `key "password" is empty`},
		{name: "token and basic", data: map[string][]byte{"username": []byte("bot"), "password": []byte("pa55word"), "bearerToken": []byte("tok3n-value")},
			wantErr: "not both"},
		{name: "identity without known_hosts", data: map[string][]byte{"identity": key}, wantErr: `key "known_hosts" is required with "identity"`},
		{name: "identity garbage", data: map[string][]byte{"identity": []byte("s3cr3t-bytes"), "known_hosts": hosts},
			wantErr: `key "identity": not an SSH private key`},
		{name: "identity with passphrase", data: map[string][]byte{"identity": locked, "known_hosts": hosts}, wantErr: "passphrase"},
		{name: "known_hosts garbage", data: map[string][]byte{"identity": key, "known_hosts": append(append([]byte{}, hosts...), "\nnot a host line\n"...)},
			wantErr: `key "known_hosts": line 5 is not a known_hosts entry`},
		{name: "known_hosts empty", data: map[string][]byte{"identity": key, "known_hosts": []byte("# nothing\n")}, wantErr: "holds no host keys"},
		{name: "ca garbage", data: map[string][]byte{"ca.crt": []byte("s3cr3t-bytes")}, wantErr: `key "ca.crt": holds data that is not a PEM certificate`},
		{name: "ca holds a key", data: map[string][]byte{"ca.crt": notCA}, wantErr: `holds a PEM "PRIVATE KEY" block`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := source.AuthFromSecret("git-creds", tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			if !errors.Is(err, source.ErrInvalidSecret) || !strings.HasPrefix(err.Error(), `Secret "git-creds": `) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want ErrInvalidSecret starting with the Secret's name and containing %q", err, tt.wantErr)
			}
			for _, v := range tt.data {
				for _, line := range strings.Split(string(v), "\n") {
					if len(line) > 6 && !strings.HasPrefix(line, "#") && strings.Contains(err.Error(), line) {
						t.Errorf("error %q quotes a value from the Secret", err)
					}
				}
			}
		})
	}
}
