package sealcheck_test

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/sealcheck"
	"github.com/seal-gitops/seal/crypto"
)

// The values sealed in the repository: two in Secret prod/db, one in a
// dotenv file bound to the Secret secretGenerator prod/app makes.
const (
	dbPassword = "db-pass-Zq81uX"
	dbKey      = "db-key-Wm20pL"
	appToken   = "app-token-Hy55sD"
)

// kustomization fields and the options the property test picks from: each
// that moves, renames, re-kinds or copies a value, and each that is
// legitimate.
var fieldOptions = []struct {
	key     string
	options []string
}{
	{"namespace", []string{"prod", "dev"}},
	{"namePrefix", []string{"x-"}},
	{"nameSuffix", []string{"-y"}},
	{"commonLabels", []string{"{team: a}"}},
	{"commonAnnotations", []string{"{note: x1}"}},
	{"patches", []string{
		`{target: {kind: Secret, name: db}, patch: '[{"op": "copy", "from": "/stringData/password", "path": "/metadata/annotations/leak"}]'}`,
		`{target: {kind: Secret, name: db}, patch: '[{"op": "replace", "path": "/kind", "value": "ConfigMap"}]', options: {allowKindChange: true}}`,
		`{target: {kind: Secret, name: db}, patch: '[{"op": "replace", "path": "/metadata/name", "value": "other"}]', options: {allowNameChange: true}}`,
		`{target: {kind: Secret, name: db}, patch: '[{"op": "add", "path": "/stringData/extra", "value": "plain-added"}]'}`,
		`{target: {kind: Secret, name: db}, patch: '[{"op": "move", "from": "/data/key", "path": "/stringData/key"}]'}`,
		`{target: {kind: ConfigMap, name: cm}, patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {k: v}\n"}`,
		`{path: copy-to-cm.yaml}`,
	}},
	{"replacements", []string{
		`{source: {kind: Secret, name: db, fieldPath: stringData.password}, targets: [{select: {kind: ConfigMap, name: cm}, fieldPaths: [data.leak], options: {create: true}}]}`,
		`{source: {kind: Secret, name: db, fieldPath: data.key}, targets: [{select: {kind: ConfigMap, name: cm}, fieldPaths: [binaryData.leak], options: {create: true}}]}`,
		`{source: {kind: Secret, name: db, fieldPath: stringData.password}, targets: [{select: {kind: Secret, name: db}, fieldPaths: [metadata.labels.leak], options: {create: true}}]}`,
		`{source: {kind: Secret, name: db, fieldPath: stringData.password}, targets: [{select: {kind: ConfigMap, name: cm}, fieldPaths: [metadata.name]}]}`,
		`{source: {kind: Secret, name: db, fieldPath: stringData.password}, targets: [{select: {kind: Secret, name: other}, fieldPaths: [stringData.stolen], options: {create: true}}]}`,
		`{source: {kind: ConfigMap, name: cm, fieldPath: data.plain}, targets: [{select: {kind: Secret, name: db}, fieldPaths: [stringData.fromcm], options: {create: true}}]}`,
		`{source: {kind: Secret, name: db, fieldPath: stringData.password}, targets: [{select: {kind: Secret, name: db}, fieldPaths: [stringData.url], options: {delimiter: ":", index: 1}}]}`,
	}},
	{"secretGenerator", []string{
		`{name: app, envs: [app.env]}`,
		`{name: thief, envs: [app.env]}`,
		`{name: app, files: [db.yaml]}`,
		`{name: app, literals: [x=plain]}`,
		`{name: app, namespace: dev, envs: [app.env]}`,
	}},
	{"configMapGenerator", []string{
		`{name: gen, envs: [app.env]}`,
		`{name: gen, files: [db.yaml]}`,
	}},
}

// kustomization builds one from bits of the fuzz input.
func kustomization(choices []byte) string {
	var b strings.Builder
	b.WriteString("resources: [db.yaml, cm.yaml, other.yaml]\n")
	next := func() int {
		if len(choices) == 0 {
			return 0
		}
		c := int(choices[0])
		choices = choices[1:]
		return c
	}
	for _, f := range fieldOptions {
		switch f.key {
		case "patches", "replacements", "secretGenerator", "configMapGenerator":
			mask := next()
			var items []string
			for i, o := range f.options {
				if mask&(1<<i) != 0 {
					items = append(items, o)
				}
			}
			if len(items) > 0 {
				b.WriteString(f.key + ":\n- " + strings.Join(items, "\n- ") + "\n")
			}
		default:
			if c := next() % (len(f.options) + 1); c > 0 {
				b.WriteString(f.key + ": " + f.options[c-1] + "\n")
			}
		}
	}
	return b.String()
}

type world struct {
	id    *age.X25519Identity
	files fstest.MapFS
}

func newWorld(t testing.TB) *world {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r := []string{id.Recipient().String()}
	db := "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData:\n  password: " + dbPassword +
		"\n  url: 'u:x'\ndata:\n  key: " + base64.StdEncoding.EncodeToString([]byte(dbKey)) + "\n"
	dbEnc, err := crypto.Encrypt("app/db.yaml", []byte(db), crypto.EncryptOptions{Recipients: r})
	if err != nil {
		t.Fatal(err)
	}
	envEnc, err := crypto.EncryptInput("app/app.env", []byte("TOKEN="+appToken+"\n"), crypto.InputOptions{Recipients: r, Namespace: "prod", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	return &world{id: id, files: fstest.MapFS{
		"app/db.yaml":         {Data: dbEnc},
		"app/app.env":         {Data: envEnc},
		"app/cm.yaml":         {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: prod}\ndata: {plain: not-secret}\n")},
		"app/other.yaml":      {Data: []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: prod}\n")},
		"app/copy-to-cm.yaml": {Data: []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData: {password: overwritten}\n")},
	}}
}

// decryptor is the agent's, in short: tokens from crypto.DecryptTokens.
type decryptor struct{ ids []age.Identity }

func (d decryptor) Decrypt(name string, data []byte, whole bool) (*render.Decrypted, error) {
	t, err := crypto.DecryptTokens(name, data, d.ids, whole)
	if err != nil {
		return nil, err
	}
	return &render.Decrypted{Text: t.Text, KeyID: "k", Values: t.Values}, nil
}

// check renders one kustomization and checks the property: whatever the
// kustomization does, a render that passes the seal check holds each value
// only as a whole data or stringData value of the Secret it was sealed for,
// holds no token, and no error holds a value.
func (w *world) check(t *testing.T, kust string) (passed bool) {
	files := fstest.MapFS{"app/kustomization.yaml": {Data: []byte(kust)}}
	for k, v := range w.files {
		files[k] = v
	}
	res, err := render.Render(context.Background(), files, render.Options{
		Path: "app", Decryptor: decryptor{ids: []age.Identity{w.id}}, IsEncrypted: crypto.IsEncrypted,
	})
	if err == nil {
		_, err = sealcheck.Check(res.Objects, res.Sources, res.Sealed, sealcheck.Options{DefaultNamespace: "prod"})
	}
	if err != nil {
		if leaks(err.Error()) != "" {
			t.Fatalf("kustomization:\n%s\nan error holds a value", kust) // never print it
		}
		if errors.Is(err, sealcheck.ErrViolation) || errors.Is(err, render.ErrPlaintextSecret) || errors.Is(err, render.ErrKustomize) || errors.Is(err, render.ErrInvalidManifest) || errors.Is(err, render.ErrUnsupported) {
			return false
		}
		t.Fatalf("kustomization:\n%s\nunexpected error: %v", kust, err)
	}
	for _, obj := range res.Objects {
		walk(obj.Object, nil, func(path []string, s string) {
			if strings.Contains(s, crypto.TokenPrefix) {
				t.Fatalf("kustomization:\n%s\na token is left at %s of %s", kust, strings.Join(path, "."), obj.GetName())
			}
			which := leaks(s)
			if which == "" {
				return
			}
			if !placedWell(obj, path, s, which) {
				t.Fatalf("kustomization:\n%s\nthe %s value landed at %s of %s %s/%s", kust, which, strings.Join(path, "."), obj.GetKind(), obj.GetNamespace(), obj.GetName())
			}
		})
	}
	return true
}

// leaks names the value s holds in any form, or "".
func leaks(s string) string {
	for name, v := range map[string]string{"db password": dbPassword, "db key": dbKey, "app token": appToken} {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte("TOKEN=" + v))[:12]} {
			if strings.Contains(s, form) {
				return name
			}
		}
	}
	return ""
}

func placedWell(obj *unstructured.Unstructured, path []string, s, which string) bool {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = "prod" // the default namespace the check was given
	}
	if obj.GetAPIVersion() != "v1" || obj.GetKind() != "Secret" || ns != "prod" || len(path) != 2 {
		return false
	}
	whole := map[string][]string{
		"db password": {dbPassword, base64.StdEncoding.EncodeToString([]byte(dbPassword))},
		"db key":      {base64.StdEncoding.EncodeToString([]byte(dbKey))},
		"app token":   {appToken, base64.StdEncoding.EncodeToString([]byte(appToken))},
	}[which]
	field := path[0]
	if field != "data" && field != "stringData" {
		return false
	}
	wholeValue := false
	for _, w := range whole {
		wholeValue = wholeValue || s == w
	}
	if !wholeValue {
		return false
	}
	if which == "app token" {
		n := obj.GetName()
		return n == "app" || strings.HasPrefix(n, "app-") && len(n) == len("app-")+10
	}
	return obj.GetName() == "db"
}

func walk(v any, path []string, fn func([]string, string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := append(path[:len(path):len(path)], k)
			fn(p, k)
			walk(e, p, fn)
		}
	case []any:
		for _, e := range v {
			walk(e, path, fn)
		}
	case string:
		fn(path, v)
	}
}

// The legitimate uses pass; each attack fails.
func TestKustomizationsThatMustPassOrFail(t *testing.T) {
	w := newWorld(t)
	base := "resources: [db.yaml, cm.yaml, other.yaml]\n"
	tests := []struct {
		name, kust string
		pass       bool
	}{
		{"plain", base, true},
		{"namespace equal to the sealed one", base + "namespace: prod\n", true},
		{"labels and annotations", base + "commonLabels: {team: a}\ncommonAnnotations: {note: x1}\n", true},
		{"bound generator input with hash suffix", base + "secretGenerator:\n- {name: app, envs: [app.env]}\n", true},
		{"namespace moved", base + "namespace: dev\n", false},
		{"name prefix", base + "namePrefix: x-\n", false},
		{"generator input in another generator", base + "secretGenerator:\n- {name: thief, envs: [app.env]}\n", false},
		{"sealed manifest as a generator file", base + "secretGenerator:\n- {name: app, files: [db.yaml]}\n", false},
		{"generator input in a ConfigMap", base + "configMapGenerator:\n- {name: gen, envs: [app.env]}\n", false},
		{"literal", base + "secretGenerator:\n- {name: app, literals: [x=plain]}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.check(t, tt.kust); got != tt.pass {
				t.Errorf("passed = %v, want %v", got, tt.pass)
			}
		})
	}
}

// Many random kustomizations over the sealed files: the property holds for
// each. (FuzzKustomizations explores further under make fuzz.)
func TestRandomKustomizationsKeepValuesInTheirSecret(t *testing.T) {
	w := newWorld(t)
	r := rand.New(rand.NewPCG(1, 2))
	passed := 0
	for range 150 {
		choices := make([]byte, len(fieldOptions))
		for i := range choices {
			// Sparse: each option is picked one time in eight, so some
			// combinations are legitimate and render.
			choices[i] = byte(r.IntN(256) & r.IntN(256) & r.IntN(256))
		}
		if w.check(t, kustomization(choices)) {
			passed++
		}
	}
	if passed == 0 {
		t.Error("no random kustomization passed: the property was never tried on a successful render")
	}
}

func FuzzKustomizations(f *testing.F) {
	w := newWorld(f)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 1, 1, 0, 0, 1, 0})
	f.Add([]byte{2, 1, 1, 0, 0, 1, 1, 2, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 64, 255, 31, 3})
	f.Fuzz(func(t *testing.T, choices []byte) {
		w.check(t, kustomization(choices))
	})
}
