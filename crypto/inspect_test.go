package crypto

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestInspect(t *testing.T) {
	xa, ha, hb := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a"), loadKey(t, "hybrid-b")
	start := time.Now().Add(-time.Second)
	ours, err := Encrypt("s.json", readFile(t, "testdata/plain/secret.json"), EncryptOptions{Recipients: recipientsOf(ha, xa)})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := EncryptInput("app.env", []byte("TOKEN=x\n"), InputOptions{Recipients: recipientsOf(xa), Namespace: "apps", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		data []byte
		want Metadata
	}{
		{"ours", "s.json", ours, Metadata{Recipients: recipientsOf(ha, xa), HasMAC: true, EncryptedRegex: BoundEncryptedRegex, Version: "3.13.3", KeyGroups: 1}},
		{"sops", "mixed-multi.yaml", readFile(t, "testdata/sops/mixed-multi.yaml"), Metadata{Recipients: recipientsOf(xa, ha), HasMAC: true, EncryptedRegex: DefaultEncryptedRegex, Version: "3.13.3", KeyGroups: 1, Unbound: []int{0, 1}}},
		// The kind is encrypted: the document may be a Secret.
		{"sops default rules", "d.yaml", readFile(t, "testdata/sops/default-rules.yaml"), Metadata{Recipients: recipientsOf(xa), HasMAC: true, Version: "3.13.3", KeyGroups: 1, Unbound: []int{0}}},
		{"sops shamir", "s.yaml", readFile(t, "testdata/sops/shamir-2of3.yaml"), Metadata{Recipients: recipientsOf(ha, xa, hb), HasMAC: true, EncryptedRegex: DefaultEncryptedRegex, Version: "3.13.3", KeyGroups: 3, ShamirThreshold: 2, Unbound: []int{0, 1}}},
		{"sops mac only", "m.yaml", readFile(t, "testdata/sops/mac-only.yaml"), Metadata{Recipients: recipientsOf(xa), HasMAC: true, EncryptedRegex: DefaultEncryptedRegex, Version: "3.13.3", KeyGroups: 1, MACOnlyEncrypted: true, Unbound: []int{0}}},
		{"sops dotenv", "app.env", readFile(t, "testdata/sops/app.env"), Metadata{Recipients: recipientsOf(xa, ha), HasMAC: true, Version: "3.13.3", KeyGroups: 1, UnboundInput: true}},
		{"bound dotenv", "app.env", bound, Metadata{Recipients: recipientsOf(xa), HasMAC: true, Version: "3.13.3", KeyGroups: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inspect(tt.file, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastModified.IsZero() || tt.name == "ours" && got.LastModified.Before(start.Truncate(time.Second)) {
				t.Errorf("LastModified = %v", got.LastModified)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(Metadata{}, "LastModified")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestInspectErrors(t *testing.T) {
	tests := []struct {
		name, file string
		data       string
		want       error
	}{
		{"plaintext", "s.yaml", string(readFile(t, "testdata/plain/secret.yaml")), ErrNotEncrypted},
		{"garbage", "s.yaml", "\x00\x01: [", ErrMalformed},
		{"sops not a mapping", "s.yaml", "kind: Secret\nsops: correct-horse-battery-staple\n", ErrMalformed},
		{"bad lastmodified", "s.yaml", "kind: Secret\nsops:\n  lastmodified: correct-horse-battery-staple\n  age:\n    - recipient: age1x\n      enc: x\n", ErrMalformed},
		{"two rules", "s.yaml", strings.Replace(string(readFile(t, "testdata/sops/x25519.yaml")), "    encrypted_regex:", "    unencrypted_suffix: _x\n    encrypted_regex:", 1), ErrMalformed},
		{"too large", "s.yaml", strings.Repeat(" ", MaxFileSize+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Inspect(tt.file, []byte(tt.data))
			checkErr(t, err, tt.want, tt.file)
		})
	}
}
