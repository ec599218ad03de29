package render

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
)

// secretValue stands for a decrypted value; it must never reach an error.
const secretValue = "s3cr3t-VALUE-42"

// tokenDecryptor opens fake files as the agent's decryptor does: each
// value stands as a token in what kustomize reads (here: every
// occurrence of secretValue).
type tokenDecryptor struct{}

const testToken = crypto.TokenPrefix + "abcdefghijklmnopqrstuvwxyz234567"

func (tokenDecryptor) Decrypt(name string, data []byte, whole bool) (*Decrypted, error) {
	d, err := fakeDecryptor{}.Decrypt(name, data, whole)
	if err != nil {
		return nil, err
	}
	d.Text = bytes.ReplaceAll(d.Text, []byte(secretValue), []byte(testToken))
	d.Values = []crypto.SealedValue{{Token: testToken, Value: []byte(secretValue), File: name}}
	return d, nil
}

func TestDecryptedValuesNeverInErrors(t *testing.T) {
	secret := func(body string) string {
		return fakeEnc("k", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"+body)
	}
	tests := []struct {
		name  string
		path  string
		files map[string]string
	}{
		{name: "plain: syntax error after the value",
			files: map[string]string{"s.yaml": secret("stringData: {password: " + secretValue + "\n  bad: [\n")}},
		{name: "plain: value used as a duplicate key",
			files: map[string]string{"s.yaml": secret("data: {" + secretValue + ": a, " + secretValue + ": b}\n")}},
		{name: "plain: value where a map belongs",
			files: map[string]string{"s.yaml": fakeEnc("k", "apiVersion: v1\nkind: Secret\nmetadata: "+secretValue+"\n")}},
		{name: "plain: value where a string belongs",
			files: map[string]string{"s.yaml": fakeEnc("k", "apiVersion: ["+secretValue+"]\nkind: Secret\nmetadata: {name: s}\n")}},
		{name: "plain: value as a document",
			files: map[string]string{"s.yaml": fakeEnc("k", secretValue+"\n")}},
		{name: "plain: value in a bad List",
			files: map[string]string{"s.yaml": fakeEnc("k", "apiVersion: v1\nkind: List\nitems: ["+secretValue+"]\n")}},
		{name: "kustomize: node contents in a replacement error", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\nreplacements:\n- source: {kind: Secret, name: s, fieldPath: metadata.name}\n  targets:\n  - select: {kind: Secret}\n    fieldPaths: ['stringData.[=]']\n",
				"a/s.yaml":             secret("stringData: {password: " + secretValue + "}\n")}},
		{name: "kustomize: env line kustomize quotes", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "secretGenerator: [{name: s, envs: [s.env]}]\n",
				"a/s.env":              fakeEnc("k", "GOOD=1\nP="+secretValue+"\xff\n")}},
		{name: "kustomize: invalid decrypted YAML", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\n",
				"a/s.yaml":             secret("stringData: {password: " + secretValue + "\n  x: [\n")}},
		{name: "kustomize: kind is the value", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\n",
				"a/s.yaml":             fakeEnc("k", "apiVersion: v1\nkind: {x: "+secretValue+"}\nmetadata: {name: s}\n")}},
		{name: "kustomize: failing JSON patch test op", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: '[{\"op\": \"test\", \"path\": \"/stringData/password\", \"value\": \"other\"}]'\n",
				"a/s.yaml":             secret("stringData: {password: " + secretValue + "}\n")}},
		{name: "kustomize: panic after decryption", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\nnamePrefix: x-\npatches:\n- target: {kind: Secret}\n  patch: '[{\"op\": \"remove\", \"path\": \"/kind\"}]'\n",
				"a/s.yaml":             secret("stringData: {password: " + secretValue + "}\n")}},
		{name: "kustomize: merge conflict on generated Secret", path: "a",
			files: map[string]string{
				"a/kustomization.yaml": "resources: [s.yaml]\nsecretGenerator: [{name: s, behavior: create, envs: [s.env], options: {disableNameSuffixHash: true}}]\n",
				"a/s.yaml":             secret("stringData: {password: " + secretValue + "}\n"),
				"a/s.env":              fakeEnc("k", "P="+secretValue+"\n")}},
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(secretValue))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fakeOptions(tt.path)
			opts.Decryptor = tokenDecryptor{}
			_, err := Render(context.Background(), mapFS(tt.files), opts)
			if err == nil {
				t.Fatal("Render succeeded; the case is meant to fail")
			}
			msg := err.Error()
			if strings.Contains(msg, secretValue) || strings.Contains(msg, b64[:16]) {
				t.Fatal("the error contains the decrypted value") // never print msg: it holds the value
			}
			if !strings.Contains(msg, tt.path) && !strings.Contains(msg, "s.yaml") {
				t.Errorf("error %q names neither the path nor the file", msg)
			}
		})
	}
}

// TestKustomizeQuotesValues shows why kustomize must never see a decrypted
// value, only its token: on plaintext input the same failure quotes it.
func TestKustomizeQuotesValues(t *testing.T) {
	files := map[string]string{
		"a/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: cm, fieldPath: metadata.name}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: ['data.[=]']\n",
		"a/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {password: " + secretValue + "}\n",
	}
	_, err := Render(context.Background(), mapFS(files), fakeOptions("a"))
	if err == nil || !strings.Contains(err.Error(), secretValue) {
		t.Fatalf("err = %v; want kustomize's message quoting the value", err)
	}
}
