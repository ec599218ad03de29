package keys

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixed returns the recipients of testdata/recipients.txt: hybrid h1, h2,
// X25519 x1, x2.
func fixed(t testing.TB) (h1, h2, x1, x2 string) {
	t.Helper()
	data, err := os.ReadFile("testdata/recipients.txt")
	if err != nil {
		t.Fatal(err)
	}
	var rs []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "age1") {
			rs = append(rs, l)
		}
	}
	if len(rs) != 4 {
		t.Fatalf("testdata/recipients.txt holds %d recipients, want 4", len(rs))
	}
	return rs[0], rs[1], rs[2], rs[3]
}

func TestParseRecipient(t *testing.T) {
	h1, _, x1, _ := fixed(t)
	secret := mustGenerate(t, Hybrid).secret()
	tests := []struct {
		name     string
		in       string
		wantKind Kind
		wantErr  string // "" for success
	}{
		{"hybrid", h1, Hybrid, ""},
		{"x25519", x1, X25519, ""},
		{"surrounding space", "  " + x1 + "\n", X25519, ""},
		{"empty", " ", Hybrid, `invalid recipient "": empty`},
		{"truncated hybrid", h1[:len(h1)-4], Hybrid, `invalid recipient "age1pq1s7dme…r5at": malformed post-quantum recipient`},
		{"truncated x25519", x1[:40], Hybrid, `invalid recipient "` + x1[:40] + `": malformed X25519 recipient`},
		{"plugin", "age1yubikey1qwerty", Hybrid, "age plugin recipients are not supported"},
		{"ssh", "ssh-ed25519 AAAAC3Nza", Hybrid, "SSH recipients are not supported"},
		{"gpg fingerprint", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", Hybrid, "not an age recipient"},
		{"secret key", secret, Hybrid, "invalid recipient: this is a secret key"},
		{"upper case", strings.ToUpper(x1), Hybrid, "not an age recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, kind, err := ParseRecipient(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(strings.TrimSpace(tt.in), r.(interface{ String() string }).String()); diff != "" {
					t.Errorf("recipient (-want +got):\n%s", diff)
				}
				if kind != tt.wantKind {
					t.Errorf("kind %v, want %v", kind, tt.wantKind)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidRecipient) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidRecipient", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "secret key") && !strings.Contains(err.Error(), "age1pq1…") {
				t.Errorf("error %q does not say what a valid recipient looks like", err)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error is %d characters long, want the recipient abbreviated", len(err.Error()))
			}
			assertNoSecret(t, err.Error(), secret)
		})
	}
}

func TestReadRecipients(t *testing.T) {
	h1, h2, x1, x2 := fixed(t)
	secret := mustGenerate(t, X25519).secret()
	files := map[string]string{
		"team.txt":   "# team\n" + h2 + "\n\n  " + x2 + "  \n# end\n",
		"empty.txt":  "# nobody\n\n",
		"bad.txt":    "# ok\n" + x1 + "\nage1nope\n",
		"keys.txt":   "# public key: " + x1 + "\n" + secret + "\n",
		"dupes.txt":  h1 + "\n" + h1 + "\n",
		"crlf.txt":   x1 + "\r\n" + h1 + "\r\n",
		"nested.txt": "@team.txt\n",
	}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantIs  error
		wantErr string
	}{
		{"none", nil, nil, nil, ""},
		{"plain", []string{h1, x1}, []string{h1, x1}, nil, ""},
		{"comma separated", []string{x1 + ", " + h1}, []string{x1, h1}, nil, ""},
		{"file", []string{"@team.txt"}, []string{h2, x2}, nil, ""},
		{"mixed, order kept, duplicates dropped", []string{x2, "@team.txt", h1, "@dupes.txt", x2}, []string{x2, h2, h1}, nil, ""},
		{"crlf file", []string{"@crlf.txt"}, []string{x1, h1}, nil, ""},
		{"bad argument", []string{h1, "age1nope"}, nil, ErrInvalidRecipient, `recipient argument 2: invalid recipient "age1nope"`},
		{"bad file line", []string{"@bad.txt"}, nil, ErrInvalidRecipient, "bad.txt line 3: invalid recipient"},
		{"secret key in file", []string{"@keys.txt"}, nil, ErrInvalidRecipient, "keys.txt line 2: invalid recipient: this is a secret key"},
		{"file without recipients", []string{"@empty.txt"}, nil, ErrNoRecipient, "empty.txt: no age recipient"},
		{"missing file", []string{"@nope.txt"}, nil, fs.ErrNotExist, "nope.txt: reading recipients"},
		{"files do not nest", []string{"@nested.txt"}, nil, ErrInvalidRecipient, "nested.txt line 1"},
		{"empty argument", []string{""}, nil, ErrInvalidRecipient, "recipient argument 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRecipients(tt.args, readFile)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("recipients (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q wrapping %v", err, tt.wantErr, tt.wantIs)
			}
			assertNoSecret(t, err.Error(), secret)
		})
	}
}

func TestFingerprintAndShort(t *testing.T) {
	h1, _, x1, _ := fixed(t)
	tests := []struct {
		in, fp, short string
	}{
		// Fingerprints computed independently with sha256sum.
		{x1, "sha256:b219338767df3f2f", x1},
		{" " + x1 + "\n", "sha256:b219338767df3f2f", x1},
		{h1, "sha256:610e255bd0905e3c", "age1pq1s7d…6lw (sha256:610e255bd0905e3c)"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.fp, Fingerprint(tt.in)); diff != "" {
			t.Errorf("Fingerprint (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(tt.short, Short(tt.in)); diff != "" {
			t.Errorf("Short (-want +got):\n%s", diff)
		}
	}
	if !strings.HasPrefix(Fingerprint(h1), "sha256:") || len(Fingerprint(h1)) != len("sha256:")+16 {
		t.Errorf("Fingerprint(hybrid) = %q, want sha256: and 16 hex digits", Fingerprint(h1))
	}
}
