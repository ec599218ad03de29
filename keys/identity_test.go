package keys

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
)

var kinds = []Kind{Hybrid, X25519}

func mustGenerate(t testing.TB, kind Kind) *Identity {
	t.Helper()
	id, err := Generate(kind)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// secretBody returns the key material of an identity: its secret key
// without the AGE-SECRET-KEY-… prefix, which every leak check looks for.
func secretBody(id *Identity) string {
	s := id.secret()
	return s[strings.LastIndexByte(s, '1')+1:]
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		kind          Kind
		prefix        string
		secretPrefix  string
		minRecipLen   int
		maxRecipLen   int
		wantKindLabel string
	}{
		{Hybrid, "age1pq1", "AGE-SECRET-KEY-PQ-1", 1900, 2000, "hybrid"},
		{X25519, "age1", "AGE-SECRET-KEY-1", 62, 62, "x25519"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			id := mustGenerate(t, tt.kind)
			r := id.Recipient()
			if !strings.HasPrefix(r, tt.prefix) || len(r) < tt.minRecipLen || len(r) > tt.maxRecipLen {
				t.Errorf("recipient %s (%d chars): want prefix %s, %d..%d chars", Short(r), len(r), tt.prefix, tt.minRecipLen, tt.maxRecipLen)
			}
			if !strings.HasPrefix(id.secret(), tt.secretPrefix) {
				t.Errorf("secret key does not start with %s", tt.secretPrefix)
			}
			if diff := cmp.Diff(tt.kind, id.Kind()); diff != "" {
				t.Errorf("Kind (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantKindLabel, id.Kind().String()); diff != "" {
				t.Errorf("Kind.String (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Fingerprint(r), id.Fingerprint()); diff != "" {
				t.Errorf("Fingerprint (-want +got):\n%s", diff)
			}
			if other := mustGenerate(t, tt.kind); other.Recipient() == r {
				t.Error("two generated identities share a recipient")
			}
		})
	}
	if _, err := Generate(Kind(7)); err == nil {
		t.Error("Generate(Kind(7)) succeeded")
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	for _, kind := range kinds {
		t.Run(kind.String(), func(t *testing.T) {
			id := mustGenerate(t, kind)
			text := id.MarshalText(created)
			wantHead := "# created: 2026-03-04T05:06:07+01:00\n# public key: " + id.Recipient() + "\n"
			if !strings.HasPrefix(string(text), wantHead) || !strings.HasSuffix(string(text), "\n") ||
				strings.Count(string(text), "\n") != 3 {
				t.Errorf("MarshalText is not in the age-keygen format:\n%s", Short(string(text)))
			}
			ring, err := ParseIdentities("key.txt", text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{id.Recipient()}, ring.Recipients()); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(kind, ring.Identities()[0].Kind()); diff != "" {
				t.Errorf("kind (-want +got):\n%s", diff)
			}

			// Encrypt to the generated recipient, decrypt with the parsed identity.
			rcp, gotKind, err := ParseRecipient(id.Recipient())
			if err != nil || gotKind != kind {
				t.Fatalf("ParseRecipient: kind %v, err %v", gotKind, err)
			}
			var ct bytes.Buffer
			w, err := age.Encrypt(&ct, rcp)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "attack at dawn")
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := age.Decrypt(&ct, ring.AgeIdentities()...)
			if err != nil {
				t.Fatal(err)
			}
			pt, _ := io.ReadAll(r)
			if diff := cmp.Diff("attack at dawn", string(pt)); diff != "" {
				t.Errorf("plaintext (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatNeverPrintsSecret(t *testing.T) {
	for _, kind := range kinds {
		id := mustGenerate(t, kind)
		ring := NewRing(id)
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			for _, v := range []any{id, *id, ring, *ring} {
				out := fmt.Sprintf(verb, v)
				if strings.Contains(strings.ToUpper(out), strings.ToUpper(secretBody(id))) || strings.Contains(out, "SECRET") {
					t.Errorf("%s of %T prints the secret key", verb, v)
				}
				if !strings.Contains(out, Short(id.Recipient())) {
					t.Errorf("%s of %T = %q, want the short recipient in it", verb, v, out)
				}
			}
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in      string
		want    Kind
		wantErr bool
	}{
		{"hybrid", Hybrid, false}, {"PQ", Hybrid, false}, {" post-quantum ", Hybrid, false},
		{"x25519", X25519, false}, {"X25519", X25519, false},
		{"rsa", Hybrid, true}, {"", Hybrid, true},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseKind(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
