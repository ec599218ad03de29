package sealcheck

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/crypto"
)

// tok makes a token-shaped string from a short tag.
func tok(tag string) string {
	return crypto.TokenPrefix + (tag + strings.Repeat("a", crypto.TokenDigits))[:crypto.TokenDigits]
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const (
	secretVal = "hunter2-correct-horse"
	envVal    = "s3cr3t-from-env"
)

// sealed is the set of values the cases use: a data value and a
// stringData value of Secret prod/db, an env value bound to the generator
// prod/app, an unbound value and a namespace-less one.
func sealed() []crypto.SealedValue {
	return []crypto.SealedValue{
		{Token: tok("data"), Value: []byte(b64(secretVal)), Encoded: true, Where: "document 1, data.password", SealedFor: "Secret/prod/db", File: "db.yaml"},
		{Token: tok("str"), Value: []byte(secretVal), Where: "document 1, stringData.url", SealedFor: "Secret/prod/db", File: "db.yaml"},
		{Token: tok("env"), Value: []byte(envVal), Where: "TOKEN", SealedFor: "Secret/prod/app", Input: true, File: "app.env"},
		{Token: tok("unbound"), Value: []byte(secretVal), Where: "document 1, stringData.x", File: "sops.yaml"},
		{Token: tok("nons"), Value: []byte(secretVal), Where: "document 1, stringData.x", SealedFor: "Secret//legacy", File: "legacy.yaml"},
	}
}

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range fields {
		o[k] = v
	}
	return &unstructured.Unstructured{Object: o}
}

func secret(ns, name string, data, stringData map[string]any) *unstructured.Unstructured {
	f := map[string]any{}
	if data != nil {
		f["data"] = data
	}
	if stringData != nil {
		f["stringData"] = stringData
	}
	return obj("v1", "Secret", ns, name, f)
}

func TestCheckSwapsValuesIntoTheirSecrets(t *testing.T) {
	tests := []struct {
		name  string
		obj   *unstructured.Unstructured
		opts  Options
		field string // "data.k" or "stringData.k"
		want  string
	}{
		{"data value in its Secret", secret("prod", "db", map[string]any{"password": b64(tok("data"))}, nil),
			Options{}, "data.password", b64(secretVal)},
		{"stringData value in its Secret", secret("prod", "db", nil, map[string]any{"url": tok("str")}),
			Options{}, "stringData.url", secretVal},
		{"raw value moved into data is encoded", secret("prod", "db", map[string]any{"url": b64(tok("str"))}, nil),
			Options{}, "data.url", b64(secretVal)},
		{"namespace from the GitSync's default", secret("", "db", map[string]any{"password": b64(tok("data"))}, nil),
			Options{DefaultNamespace: "prod"}, "data.password", b64(secretVal)},
		{"generator input in its generated Secret", secret("prod", "app-7fk9h2bg4c", map[string]any{"TOKEN": b64(tok("env"))}, nil),
			Options{}, "data.TOKEN", b64(envVal)},
		{"generator input in a Secret of the generator's name", secret("prod", "app", map[string]any{"TOKEN": b64(tok("env"))}, nil),
			Options{}, "data.TOKEN", b64(envVal)},
		{"unbound value with allowUnbound", secret("prod", "anything", nil, map[string]any{"x": tok("unbound")}),
			Options{AllowUnbound: true}, "stringData.x", secretVal},
		{"namespace-less value in its name with allowUnbound", secret("other", "legacy", nil, map[string]any{"x": tok("nons")}),
			Options{AllowUnbound: true}, "stringData.x", secretVal},
		{"plaintext with allowPlaintextSecrets", secret("prod", "db", nil, map[string]any{"x": "plain"}),
			Options{AllowPlaintextSecrets: true}, "stringData.x", "plain"},
		{"empty values carry nothing", secret("prod", "db", map[string]any{"x": ""}, nil),
			Options{}, "data.x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check([]*unstructured.Unstructured{tt.obj}, []string{"kustomization.yaml"}, sealed(), tt.opts)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got, _, _ := unstructured.NestedString(tt.obj.Object, strings.Split(tt.field, ".")...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.field, diff)
			}
			if tt.opts.AllowUnbound && len(res.Unbound) != 1 {
				t.Errorf("Unbound = %v, want the one file", res.Unbound)
			}
		})
	}
}

func TestCheckRefusesValuesOutsideTheirSecret(t *testing.T) {
	cm := func(fields map[string]any) *unstructured.Unstructured {
		return obj("v1", "ConfigMap", "prod", "cm", fields)
	}
	tests := []struct {
		name string
		obj  *unstructured.Unstructured
		opts Options
		want []string // in the message
	}{
		{"ConfigMap data", cm(map[string]any{"data": map[string]any{"k": tok("str")}}), Options{},
			[]string{"db.yaml", "document 1, stringData.url", "ConfigMap prod/cm", "data.k"}},
		{"base64 token in a ConfigMap", cm(map[string]any{"binaryData": map[string]any{"k": b64(tok("data"))}}), Options{},
			[]string{"db.yaml", "binaryData.k"}},
		{"base64 token after a prefix", cm(map[string]any{"data": map[string]any{"k": b64("x" + tok("data"))}}), Options{},
			[]string{"db.yaml", "data.k"}},
		{"label", obj("apps/v1", "Deployment", "prod", "web", map[string]any{"metadata": map[string]any{"name": "web", "labels": map[string]any{"a": tok("str")}}}), Options{},
			[]string{"db.yaml", "metadata.labels.a"}},
		{"annotation of its own Secret", secret("prod", "db", nil, nil), Options{},
			nil}, // filled below
		{"name", obj("v1", "ConfigMap", "prod", tok("str"), nil), Options{},
			[]string{"db.yaml", "metadata.name"}},
		{"a key", cm(map[string]any{"data": map[string]any{tok("str"): "x"}}), Options{},
			[]string{"db.yaml", "(a key)"}},
		{"kind Secret of another group", obj("example.com/v1", "Secret", "prod", "db", map[string]any{"data": map[string]any{"password": b64(tok("data"))}}), Options{},
			[]string{"db.yaml", "data.password"}},
		{"another Secret name", secret("prod", "db2", map[string]any{"password": b64(tok("data"))}, nil), Options{},
			[]string{"db.yaml", "Secret prod/db2", "sealed for Secret prod/db"}},
		{"another namespace", secret("dev", "db", map[string]any{"password": b64(tok("data"))}, nil), Options{},
			[]string{"Secret dev/db", "sealed for Secret prod/db"}},
		{"defaulted into another namespace", secret("", "db", map[string]any{"password": b64(tok("data"))}, nil), Options{DefaultNamespace: "dev"},
			[]string{"Secret dev/db"}},
		{"manifest value in a hash-suffixed name", secret("prod", "db-7fk9h2bg4c", map[string]any{"password": b64(tok("data"))}, nil), Options{},
			[]string{"Secret prod/db-7fk9h2bg4c"}},
		{"generator input in another generator's Secret", secret("prod", "other-7fk9h2bg4c", map[string]any{"TOKEN": b64(tok("env"))}, nil), Options{},
			[]string{"app.env", "sealed for Secret prod/app"}},
		{"part of a value", secret("prod", "db", nil, map[string]any{"url": "postgres://u:" + tok("str") + "@db"}), Options{},
			[]string{"only part of this value"}},
		{"part of a data value", secret("prod", "db", map[string]any{"url": b64("u:" + tok("str"))}, nil), Options{AllowPlaintextSecrets: true},
			[]string{"only part of this value"}},
		{"data value moved to stringData", secret("prod", "db", nil, map[string]any{"password": b64(tok("data"))}), Options{},
			[]string{"db.yaml", "stringData.password"}},
		{"plaintext value", secret("prod", "db", nil, map[string]any{"x": "plain"}), Options{},
			[]string{"Secret prod/db at stringData.x", "not sealed"}},
		{"plaintext data value", secret("prod", "db", map[string]any{"x": b64("plain")}, nil), Options{},
			[]string{"Secret prod/db at data.x", "not sealed"}},
		{"unbound value", secret("prod", "db", nil, map[string]any{"x": tok("unbound")}), Options{},
			[]string{"sops.yaml", "no sealed identity", "allowUnbound"}},
		{"namespace-less value", secret("prod", "legacy", nil, map[string]any{"x": tok("nons")}), Options{},
			[]string{"legacy.yaml", "without a namespace", "--namespace"}},
		{"namespace-less value in another name", secret("prod", "other", nil, map[string]any{"x": tok("nons")}), Options{AllowUnbound: true},
			[]string{"legacy.yaml", "sealed for Secret legacy (no namespace)"}},
		{"unknown token", secret("prod", "db", nil, map[string]any{"x": tok("zzz")}), Options{},
			[]string{"no sealed file of this revision produced it"}},
	}
	tests[4].obj.Object["metadata"].(map[string]any)["annotations"] = map[string]any{"note": tok("data")}
	tests[4].want = []string{"db.yaml", "Secret prod/db", "metadata.annotations.note"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.obj.DeepCopy()
			_, err := Check([]*unstructured.Unstructured{tt.obj}, []string{"app/kustomization.yaml"}, sealed(), tt.opts)
			var cerr *Error
			if !errors.As(err, &cerr) || !errors.Is(err, ErrViolation) {
				t.Fatalf("Check = %v, want a violation", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, v := range []string{secretVal, b64(secretVal), envVal, b64(envVal)} {
				if strings.Contains(msg, v) {
					t.Errorf("message holds a value: %s", msg)
				}
			}
			if diff := cmp.Diff(before.Object, tt.obj.Object); diff != "" {
				t.Errorf("a refused set was changed (-before +after):\n%s", diff)
			}
		})
	}
}

// One violation anywhere refuses the whole set: no object gets its value.
func TestCheckChangesNothingUnlessAllPass(t *testing.T) {
	good := secret("prod", "db", map[string]any{"password": b64(tok("data"))}, nil)
	bad := obj("v1", "ConfigMap", "prod", "cm", map[string]any{"data": map[string]any{"k": tok("str")}})
	_, err := Check([]*unstructured.Unstructured{good, bad}, nil, sealed(), Options{})
	if err == nil {
		t.Fatal("Check passed a set with a violation")
	}
	if got, _, _ := unstructured.NestedString(good.Object, "data", "password"); got != b64(tok("data")) {
		t.Errorf("the good Secret got its value although the set was refused")
	}
}

func TestErrorListsAFewViolations(t *testing.T) {
	var objs []*unstructured.Unstructured
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		objs = append(objs, obj("v1", "ConfigMap", "prod", n, map[string]any{"data": map[string]any{"k": tok("str")}}))
	}
	_, err := Check(objs, nil, sealed(), Options{})
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Violations) != 5 {
		t.Fatalf("Check = %v, want 5 violations", err)
	}
	if !strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("message does not count the rest: %s", err)
	}
}

func TestInnerBase64FindsTokensAtEveryAlignment(t *testing.T) {
	c := &checker{values: map[string]*crypto.SealedValue{}}
	vals := sealed()
	for i := range vals {
		c.values[vals[i].Token] = &vals[i]
	}
	for lead := range 6 {
		s := b64(strings.Repeat("x", lead) + tok("str") + "tail")
		found, v := c.find(s)
		if !found || v == nil || v.Token != tok("str") {
			t.Errorf("lead %d: find = %v, %v", lead, found, v)
		}
	}
	if found, _ := c.find(b64("nothing to see here, just a long ordinary value")); found {
		t.Error("find reported a token in ordinary text")
	}
}
