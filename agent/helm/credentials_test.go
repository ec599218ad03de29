package helm

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a transport that records the Authorization header of each
// request and answers body.
type recorder struct {
	auth []string
	body string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(r.body)), ContentLength: -1, Request: req}, nil
}

func TestGuardSendsCredentialsOnlyToTheirHostsOverHTTPS(t *testing.T) {
	creds := &Credentials{Username: "u", Password: "p", Hosts: []string{"charts.example.com"}}
	tests := []struct {
		url  string
		want string
	}{
		{"https://charts.example.com/index.yaml", "Bearer t"},
		{"https://CHARTS.example.com/index.yaml", "Bearer t"},
		{"http://charts.example.com/index.yaml", ""},
		{"https://charts.example.com:8443/index.yaml", ""},
		{"https://cdn.example.com/blob", ""},
		{"https://evil.charts.example.com/blob", ""},
	}
	for _, tt := range tests {
		rec := &recorder{}
		g := &guard{base: rec, creds: creds}
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		req.Header.Set("Authorization", "Bearer t")
		if _, err := g.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{tt.want}, rec.auth); diff != "" {
			t.Errorf("%s: Authorization sent (-want +got):\n%s", tt.url, diff)
		}
	}
}

func TestGuardCapsTheDownload(t *testing.T) {
	g := &guard{base: &recorder{body: strings.Repeat("x", 100)}, budget: newBudget(150)}
	read := func() error {
		req, _ := http.NewRequest(http.MethodGet, "https://charts.example.com/x", nil)
		resp, err := g.RoundTrip(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := read(); err != nil {
		t.Fatalf("first 100 bytes of 150: %v", err)
	}
	if err := read(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("second 100 bytes of 150: %v, want ErrTooLarge", err)
	}
}

func TestCredentialsFromSecret(t *testing.T) {
	hosts := map[string]string{HostsAnnotation: "Registry.example.com, auth.example.com:8443"}
	tests := []struct {
		name        string
		annotations map[string]string
		data        map[string][]byte
		want        *Credentials
		err         string
	}{
		{"basic", hosts, map[string][]byte{"username": []byte("u"), "password": []byte("p")},
			&Credentials{Username: "u", Password: "p", Hosts: []string{"registry.example.com", "auth.example.com:8443"}, Source: "Secret ns/c"}, ""},
		{"token", hosts, map[string][]byte{"token": []byte("t")},
			&Credentials{Token: "t", Hosts: []string{"registry.example.com", "auth.example.com:8443"}, Source: "Secret ns/c"}, ""},
		{"no hosts", nil, map[string][]byte{"token": []byte("t")}, nil, "Secret ns/c has no annotation seal.dev/chart-hosts"},
		{"both", hosts, map[string][]byte{"token": []byte("t"), "username": []byte("u")}, nil, "holds both token and username/password"},
		{"username without password", hosts, map[string][]byte{"username": []byte("u")}, nil, "holds neither username and password nor token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CredentialsFromSecret("ns/c", tt.annotations, tt.data)
			if tt.err != "" {
				if !errors.Is(err, ErrCredentials) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrCredentials and %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
