package crypto

import (
	"errors"
	"strings"
	"testing"
)

// A Helm values file bound to its release: every value, nested ones too,
// becomes a token sealed for HelmRelease/<namespace>/<release>, and the
// binding is not in Text.
func TestEncryptValuesBoundToRelease(t *testing.T) {
	k := loadKey(t, "x25519-a")
	plain := "db:\n  password: pw-9f2c\n  user: app\nreplicas: 2\n"
	enc, err := EncryptInput("values.yaml", []byte(plain), InputOptions{Recipients: recipientsOf(k), Namespace: "prod", Name: "shop", Kind: ReleaseKind})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "pw-9f2c") {
		t.Fatal("the encrypted file holds the value")
	}
	tk, err := DecryptTokens("values.yaml", enc, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(tk.Text), InputBindingKey) || strings.Contains(string(tk.Text), "pw-9f2c") {
		t.Errorf("Text holds the binding or a value:\n%s", tk.Text)
	}
	if len(tk.Values) != 3 {
		t.Fatalf("%d values, want 3", len(tk.Values))
	}
	for _, v := range tk.Values {
		if v.SealedFor != "HelmRelease/prod/shop" || !v.Input || v.Encoded {
			t.Errorf("%s: sealed for %q, input %v, encoded %v", v.Where, v.SealedFor, v.Input, v.Encoded)
		}
	}
}

func TestEncryptValuesRefuses(t *testing.T) {
	k := loadKey(t, "x25519-a")
	tests := []struct {
		name string
		opts InputOptions
		want string
	}{
		{"no namespace", InputOptions{Name: "shop", Kind: ReleaseKind}, "release to bind to"},
		{"another kind", InputOptions{Namespace: "prod", Name: "shop", Kind: "ConfigMap"}, "not a ConfigMap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Recipients = recipientsOf(k)
			_, err := EncryptInput("values.yaml", []byte("a: b\n"), tt.opts)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "values.yaml") {
				t.Fatalf("EncryptInput = %v, want ErrInvalidOptions naming values.yaml and %q", err, tt.want)
			}
		})
	}
}
