package receiver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStartServesHTTPSAndStops starts the server with a certificate
// directory, sends a signed push over HTTPS, and checks that cancelling the
// context stops it.
func TestStartServesHTTPSAndStops(t *testing.T) {
	certDir, pool := writeCert(t)
	pc := providerCases()[0]
	opts := DefaultOptions(freeLocalAddr(t), certDir)
	w := newWorld(t, pc.provider, pc.httpsURL, pc.sshURL, &opts, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.srv.Start(ctx) }()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body := readTestdata(t, pc.payload)
	var resp *http.Response
	var err error
	for range 50 { // until it listens
		req, _ := http.NewRequest(http.MethodPost, "https://"+opts.Addr+w.rcv.WebhookPath(), bytes.NewReader(body))
		req.Header = pc.sign(body, testToken)
		if resp, err = client.Do(req); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("status %d (TLS %v), want 200 over TLS", resp.StatusCode, resp.TLS != nil)
	}
	if len(w.triggered()) != 2 {
		t.Errorf("triggered %v, want the two matching GitSyncs", w.triggered())
	}
	if _, err := http.Post("http://"+opts.Addr+w.rcv.WebhookPath(), "application/json", bytes.NewReader(body)); err == nil {
		// A plain HTTP request to a TLS server gets a 400 from net/http,
		// never a delivery.
		if len(w.triggered()) != 2 {
			t.Error("a plain HTTP request was handled by the TLS server")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start returned %v after the context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return after the context ended")
	}
}

func TestStartFailsOnABusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := NewServer(DefaultOptions(l.Addr().String(), ""), nil, nil, logrDiscard())
	if err := srv.Start(t.Context()); err == nil {
		t.Error("Start on an address in use returned no error")
	}
}

func freeLocalAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeCert writes a self-signed tls.crt and tls.key for 127.0.0.1 and
// returns their directory and a pool trusting the certificate.
func writeCert(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seal-agent-webhook"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, block := range map[string]*pem.Block{
		"tls.crt": {Type: "CERTIFICATE", Bytes: der},
		"tls.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return dir, pool
}
