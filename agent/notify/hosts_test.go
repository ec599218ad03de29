package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// local lets cfg reach a test server on 127.0.0.1 standing in for the
// repository's API host.
func local(cfg Config) Config {
	cfg.AllowedHosts = append(cfg.AllowedHosts, "127.0.0.1")
	cfg.Addresses.Allowed = append(cfg.Addresses.Allowed, netip.MustParsePrefix("127.0.0.0/8"))
	return cfg
}

func TestTheTokenGoesOnlyToAllowedHosts(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" means the status is sent
	}{
		{"API host other than the git host", Config{RepoURL: "https://git.example.com/a/b"}, "is not the repository's host git.example.com"},
		{"API host on the allowed list", Config{RepoURL: "https://git.example.com/a/b", AllowedHosts: []string{"127.0.0.1"}, Addresses: AddressPolicy{loopback}}, ""},
		{"API host is the git host", Config{RepoURL: "https://127.0.0.1/a/b", Addresses: AddressPolicy{loopback}}, ""},
		{"loopback not allowed", Config{RepoURL: "https://127.0.0.1/a/b"}, "127.0.0.1 is a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &apiRecorder{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			cfg := tt.cfg
			cfg.Provider, cfg.APIURL, cfg.Token = Gitea, srv.URL, "secret-token"
			err := func() error {
				n, err := New(cfg)
				if err != nil {
					return err
				}
				return n.Post(context.Background(), Status{Revision: sha, State: Success, Context: "seal/x"})
			}()
			if tt.wantErr == "" {
				if err != nil || len(api.requests) != 1 {
					t.Fatalf("error %v, %d requests; want the status sent", err, len(api.requests))
				}
				return
			}
			if !errors.Is(err, ErrHostRefused) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v; want ErrHostRefused saying %q", err, tt.wantErr)
			}
			if len(api.requests) != 0 {
				t.Errorf("the refused host received %d requests", len(api.requests))
			}
		})
	}
}

func TestRefusedAddressesAreNeverDialled(t *testing.T) {
	for _, tt := range []struct{ host, want string }{
		{"169.254.169.254", "cloud metadata"},
		{"[fd00:ec2::254]", "cloud metadata"},
		{"169.254.10.1", "link-local"},
		{"[::1]", "loopback"},
		{"localhost", "loopback"}, // refused after DNS, on the address dialled
		{"0.0.0.0", "unspecified"},
	} {
		t.Run(tt.host, func(t *testing.T) {
			n, err := New(Config{Provider: Gitea, RepoURL: "http://" + tt.host + "/a/b", Token: "secret-token", APIURL: "http://" + tt.host + ":9/api/v1"})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Post(context.Background(), Status{Revision: sha, State: Success, Context: "seal/x"})
			if !errors.Is(err, ErrHostRefused) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--allowed-networks") {
				t.Errorf("error = %v; want ErrHostRefused for a %s address naming --allowed-networks", err, tt.want)
			}
		})
	}
}

func TestRedirectsAreNotFollowedWithTheToken(t *testing.T) {
	elsewhere := &apiRecorder{}
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	n, err := New(local(Config{Provider: GitHub, RepoURL: "https://127.0.0.1/a/b", APIURL: redirector.URL, Token: "secret-token"}))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Post(context.Background(), Status{Revision: sha, State: Success, Context: "seal/x"})
	if err == nil || !strings.Contains(err.Error(), "not followed") || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("error = %v; want a redirect not followed, without the token", err)
	}
	if len(elsewhere.requests) != 0 {
		t.Errorf("the redirect target received %d requests", len(elsewhere.requests))
	}
}

func TestParseNetworks(t *testing.T) {
	got, err := ParseNetworks([]string{"10.0.0.0/8", " 127.0.0.1 ", "", "fd00::1/64"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("fd00::/64")}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("prefix %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := ParseNetworks([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("bad network: error %v", err)
	}
}
