package crypto

import (
	"testing"
)

func TestIsEncrypted(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"sops yaml", string(readFile(t, "testdata/sops/x25519.yaml")), true},
		{"sops multi-document yaml", string(readFile(t, "testdata/sops/mixed-multi.yaml")), true},
		{"sops json", string(readFile(t, "testdata/sops/hybrid.json")), true},
		{"sops dotenv", string(readFile(t, "testdata/sops/app.env")), true},
		{"plain yaml", string(readFile(t, "testdata/plain/secret.yaml")), false},
		{"plain json", string(readFile(t, "testdata/plain/secret.json")), false},
		{"plain dotenv", string(readFile(t, "testdata/plain/app.env")), false},
		{"empty", "", false},
		{"binary", "\x00\xff\xfe", false},
		{"sops key nested", "kind: Secret\ndata:\n  sops: x\n  mac: y\n", false},
		{"sops key without mac", "kind: Secret\nsops:\n  version: 3.13.3\n", false},
		{"yaml with CRLF", "kind: Secret\r\nsops:\r\n    mac: ENC[x]\r\n", true},
		{"compact json", `{"kind":"Secret","sops":{"mac":"ENC[x]"}}`, true},
		{"json string quoting a sops entry", `{"note": "\"sops\": {\"mac\": 1}"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsEncrypted([]byte(tt.data)); got != tt.want {
				t.Errorf("IsEncrypted = %v, want %v", got, tt.want)
			}
		})
	}
}
