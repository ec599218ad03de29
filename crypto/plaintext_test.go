package crypto

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindPlaintext(t *testing.T) {
	xa := loadKey(t, "x25519-a")
	enc, err := Encrypt("s.yaml", readFile(t, "testdata/plain/secret.yaml"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	encJSON, err := Encrypt("s.json", readFile(t, "testdata/plain/secret.json"), EncryptOptions{Recipients: recipientsOf(xa)})
	if err != nil {
		t.Fatal(err)
	}
	password := encValues(string(enc))[3] // binding, comment, username, password
	defaults := string(readFile(t, "testdata/sops/default-rules.yaml"))
	tests := []struct {
		name, file string
		data       string
		want       []Finding
	}{
		{"plain secret", "s.yaml", string(readFile(t, "testdata/plain/secret.yaml")), []Finding{
			{Line: 14, Document: 0, Path: "stringData.username", Problem: ProblemPlaintext},
			{Line: 15, Document: 0, Path: "stringData.password", Problem: ProblemPlaintext},
			{Line: 18, Document: 0, Path: "data.token", Problem: ProblemPlaintext},
		}},
		{"plain multi-document", "m.yaml", string(readFile(t, "testdata/plain/multi.yaml")), []Finding{
			{Line: 7, Document: 0, Path: "data.stripe", Problem: ProblemPlaintext},
			{Line: 8, Document: 0, Path: "data.paypal", Problem: ProblemPlaintext},
			{Line: 18, Document: 1, Path: "stringData.tls.key", Problem: ProblemPlaintext},
			{Line: 22, Document: 1, Path: "stringData.tls.crt", Problem: ProblemPlaintext},
		}},
		{"plain json", "s.json", string(readFile(t, "testdata/plain/secret.json")), []Finding{
			{Line: 9, Document: 0, Path: "stringData.password", Problem: ProblemPlaintext},
			{Line: 10, Document: 0, Path: "stringData.count", Problem: ProblemPlaintext},
		}},
		{"nested and listed values", "n.yaml", "kind: Secret\ndata:\n  a:\n    b: x\n  c: [y, '', null]\n  d: 1\n", []Finding{
			{Line: 4, Document: 0, Path: "data.a.b", Problem: ProblemPlaintext},
			{Line: 5, Document: 0, Path: "data.c[0]", Problem: ProblemPlaintext},
			{Line: 6, Document: 0, Path: "data.d", Problem: ProblemPlaintext},
		}},
		{"tab-indented json", "t.json", "{\n\t\"kind\": \"Secret\",\n\t\"data\": {\n\t\t\"a\": \"Yg==\"\n\t}\n}\n", []Finding{
			{Line: 4, Document: 0, Path: "data.a", Problem: ProblemPlaintext},
		}},
		{"configmap", "c.yaml", string(readFile(t, "testdata/plain/configmap.yaml")), nil},
		{"mixed", "x.yaml", string(readFile(t, "testdata/plain/mixed.yaml")), []Finding{
			{Line: 6, Document: 0, Path: "stringData.password", Problem: ProblemPlaintext},
		}},
		{"encrypted", "s.yaml", string(enc), nil},
		{"encrypted json", "s.json", string(encJSON), nil},
		{"encrypted by sops, json", "h.json", string(readFile(t, "testdata/sops/hybrid.json")), nil},
		{"encrypted by sops", "m.yaml", string(readFile(t, "testdata/sops/mixed-multi.yaml")), nil},
		{"encrypted by sops, default rules", "d.yaml", string(readFile(t, "testdata/sops/default-rules.yaml")), nil},
		{"encrypted, a value decrypted by hand", "s.yaml", strings.Replace(string(enc), password, "correct-horse-battery-staple", 1), []Finding{
			{Line: 16, Document: 0, Path: "stringData.password", Problem: ProblemNotEncrypted},
		}},
		{"encrypted, a key added by hand", "s.yaml", strings.Replace(string(enc), "\ndata:\n", "\ndata:\n  new: c2VjcmV0\n", 1), []Finding{
			{Line: 19, Document: 0, Path: "data.new", Problem: ProblemNotEncrypted},
		}},
		{"encrypted, a plaintext document appended", "s.yaml", string(enc) + "---\n" + string(readFile(t, "testdata/plain/indent4.yaml")), []Finding{
			{Line: strings.Count(string(enc), "\n") + 8, Document: 1, Path: "stringData.api-key", Problem: ProblemNotEncrypted},
		}},
		{"encrypted by sops, default rules, a kind decrypted", "d.yaml", strings.Replace(defaults, encValues(defaults)[2], "Secret", 1), []Finding{
			{Line: 3, Document: 0, Path: "kind", Problem: ProblemNotEncrypted},
		}},
		{"dotenv", "app.env", string(readFile(t, "testdata/plain/app.env")), nil},
		{"empty", "e.yaml", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindPlaintext(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindPlaintextErrors(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             error
	}{
		{"yaml", "s.yaml", "kind: Secret\nstringData:\n  password: [correct-horse-battery-staple\n", ErrMalformed},
		{"json", "s.json", "{\"kind\": \"Secret\", \"stringData\": {\"password\": correct-horse-battery-staple}}", ErrMalformed},
		{"duplicate", "s.yaml", "kind: Secret\nstringData:\n  password: correct-horse-battery-staple\n  password: x\n", ErrMalformed},
		{"bad rules", "s.yaml", "kind: Secret\nsops:\n  encrypted_regex: '(correct-horse-battery-staple'\n", ErrMalformed},
		{"too large", "s.yaml", strings.Repeat("\n", MaxFileSize+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FindPlaintext(tt.file, []byte(tt.data))
			checkErr(t, err, tt.want, tt.file)
		})
	}
}
