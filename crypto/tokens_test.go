package crypto

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tokenSecretYAML = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
data:
  password: aHVudGVyMg==
stringData:
  url: postgres://u:hunter2@db
  empty: ""
`

func TestDecryptTokensHidesEveryValue(t *testing.T) {
	k := loadKey(t, "x25519-a")
	enc, err := Encrypt("db.yaml", []byte(tokenSecretYAML), EncryptOptions{Recipients: recipientsOf(k)})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := DecryptTokens("db.yaml", enc, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	text := string(tk.Text)
	for _, v := range []string{"aHVudGVyMg==", "hunter2", "postgres://"} {
		if strings.Contains(text, v) {
			t.Errorf("Text holds %q:\n%s", v, text)
		}
	}
	if !strings.Contains(text, BindingAnnotation+": Secret/prod/db") {
		t.Errorf("Text lost the binding annotation:\n%s", text)
	}
	type got struct {
		Value, Where, SealedFor, File string
		Encoded, Input                bool
	}
	var vals []got
	for _, v := range tk.Values {
		if !IsToken(v.Token) {
			t.Errorf("%s: %q is not a token", v.Where, v.Token)
		}
		inText := v.Token
		if v.Encoded {
			inText = base64.StdEncoding.EncodeToString([]byte(v.Token))
		}
		if !strings.Contains(text, inText) {
			t.Errorf("%s: its token is not in Text", v.Where)
		}
		vals = append(vals, got{string(v.Value), v.Where, v.SealedFor, v.File, v.Encoded, v.Input})
	}
	want := []got{
		{"aHVudGVyMg==", "document 1, data.password", "Secret/prod/db", "db.yaml", true, false},
		{"postgres://u:hunter2@db", "document 1, stringData.url", "Secret/prod/db", "db.yaml", false, false},
	}
	if diff := cmp.Diff(want, vals); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

// Tokens are stable for a file and change with the value, so kustomize's
// generator hash changes exactly when a value does.
func TestTokensAreDeterministicPerValue(t *testing.T) {
	k := loadKey(t, "x25519-a")
	enc, err := Encrypt("db.yaml", []byte(tokenSecretYAML), EncryptOptions{Recipients: recipientsOf(k)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecryptTokens("db.yaml", enc, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecryptTokens("db.yaml", enc, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Text, b.Text) {
		t.Error("two decryptions of one file gave different tokens")
	}
	edited, err := Reencrypt("db.yaml", enc, []byte(strings.Replace(tokenSecretYAML, "hunter2@db", "hunter3@db", 1)), idsOf(k))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecryptTokens("db.yaml", edited, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Values[0].Token != c.Values[0].Token || a.Values[1].Token == c.Values[1].Token {
		t.Errorf("after changing one value: unchanged token %v, changed token %v", a.Values[0].Token == c.Values[0].Token, a.Values[1].Token != c.Values[1].Token)
	}
}

func TestDecryptTokensWholeFile(t *testing.T) {
	k := loadKey(t, "x25519-a")
	plain := "API_KEY=abc123xyz\nDB_PASSWORD=hunter2\n"
	enc, err := EncryptInput("app.env", []byte(plain), InputOptions{Recipients: recipientsOf(k), Namespace: "prod", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := DecryptTokens("app.env", enc, idsOf(k), true)
	if err != nil {
		t.Fatal(err)
	}
	if !IsToken(string(whole.Text)) || len(whole.Values) != 1 {
		t.Fatalf("whole-file Text %q, %d values", whole.Text, len(whole.Values))
	}
	v := whole.Values[0]
	if string(v.Value) != plain || v.SealedFor != "Secret/prod/app" || !v.Input {
		t.Errorf("whole value = %q sealed for %q (input %v), want the file without its binding, for Secret/prod/app", v.Value, v.SealedFor, v.Input)
	}
	leaves, err := DecryptTokens("app.env", enc, idsOf(k), false)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(leaves.Text)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "API_KEY="+TokenPrefix) || !strings.HasPrefix(lines[1], "DB_PASSWORD="+TokenPrefix) {
		t.Errorf("dotenv Text = %q, want two keys with tokens and no binding line", leaves.Text)
	}
	for _, v := range leaves.Values {
		if v.SealedFor != "Secret/prod/app" || !v.Input || v.Encoded {
			t.Errorf("%s: sealed for %q, input %v, encoded %v", v.Where, v.SealedFor, v.Input, v.Encoded)
		}
	}
}

func TestEncryptInputRefuses(t *testing.T) {
	k := loadKey(t, "x25519-a")
	tests := []struct {
		name, file, plain string
		opts              InputOptions
		is                error
	}{
		{"no namespace", "a.env", "A=b\n", InputOptions{Name: "app"}, ErrInvalidOptions},
		{"bad name", "a.env", "A=b\n", InputOptions{Namespace: "prod", Name: "App/x"}, ErrInvalidOptions},
		{"a manifest", "a.yaml", tokenSecretYAML, InputOptions{Namespace: "prod", Name: "app"}, ErrInvalidOptions},
		{"two documents", "a.yaml", "a: 1\n---\nb: 2\n", InputOptions{Namespace: "prod", Name: "app"}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Recipients = recipientsOf(k)
			_, err := EncryptInput(tt.file, []byte(tt.plain), tt.opts)
			if !errors.Is(err, tt.is) {
				t.Fatalf("EncryptInput = %v, want %v", err, tt.is)
			}
		})
	}
}

// A binding whose ciphertext is swapped for plaintext is refused, and one
// moved to another file does not decrypt (its MAC and additional data).
func TestInputBindingTampering(t *testing.T) {
	k := loadKey(t, "x25519-a")
	enc, err := EncryptInput("app.env", []byte("A=b\n"), InputOptions{Recipients: recipientsOf(k), Namespace: "prod", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(enc), "\n") {
		if strings.HasPrefix(line, InputBindingKey+"=") {
			line = InputBindingKey + "=Secret/prod/other"
		}
		out = append(out, line)
	}
	_, err = DecryptTokens("app.env", []byte(strings.Join(out, "\n")), idsOf(k), true)
	if !errors.Is(err, ErrIdentityMismatch) && !errors.Is(err, ErrMACMismatch) {
		t.Fatalf("DecryptTokens of a file with a plaintext binding = %v, want a refusal", err)
	}
}

// sops opens what EncryptInput writes, and prints the binding with the
// values (a generator reading a sops-decrypted file would see it).
func TestEncryptInputInteropWithSOPS(t *testing.T) {
	sops := sopsPath(t)
	k := loadKey(t, "x25519-a")
	enc, err := EncryptInput("app.env", []byte("API_KEY=abc123xyz\n"), InputOptions{Recipients: recipientsOf(k), Namespace: "prod", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := sopsCLI(t, sops, dir, []testKey{k}, "decrypt", "app.env")
	if err != nil {
		t.Fatal(err)
	}
	want := "API_KEY=abc123xyz\n" + InputBindingKey + "=Secret/prod/app\n"
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("sops decrypt (-want +got):\n%s", diff)
	}
}
