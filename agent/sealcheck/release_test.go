package sealcheck

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/crypto"
)

const (
	shop     = "HelmRelease/prod/shop"
	valueVal = "chart-value-7e2d"
)

// releaseValue is a value of a values file bound to release prod/shop.
func releaseValue() crypto.SealedValue {
	return crypto.SealedValue{Token: tok("rel"), Value: []byte(valueVal), Where: "db.password", SealedFor: shop, Input: true, File: "apps/shop-values.yaml"}
}

func configMap(ns, name string, data map[string]any) *unstructured.Unstructured {
	return obj("v1", "ConfigMap", ns, name, map[string]any{"data": data})
}

// A release's sealed value lands in a Secret that release renders in its
// namespace, and in a ConfigMap only when the release widens to
// ConfigMap; the widening is reported.
func TestCheckReleaseValues(t *testing.T) {
	tests := []struct {
		name    string
		obj     *unstructured.Unstructured
		owner   string
		widen   map[string][]string
		field   []string
		want    string
		widened []string
	}{
		{"stringData of a Secret of the release", secret("prod", "shop-db", nil, map[string]any{"password": tok("rel")}), shop, nil,
			[]string{"stringData", "password"}, valueVal, nil},
		{"data of a Secret of the release (b64enc in the template)", secret("prod", "shop-db", map[string]any{"password": b64(tok("rel"))}, nil), shop, nil,
			[]string{"data", "password"}, b64(valueVal), nil},
		{"namespace from the default", secret("", "shop-db", nil, map[string]any{"password": tok("rel")}), shop, nil,
			[]string{"stringData", "password"}, valueVal, nil},
		{"a ConfigMap of a release that widens to ConfigMap", configMap("prod", "shop-config", map[string]any{"greeting": tok("rel")}), shop, map[string][]string{shop: {"ConfigMap"}},
			[]string{"data", "greeting"}, valueVal, []string{"ConfigMap prod/shop-config at data.greeting (HelmRelease prod/shop)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check([]*unstructured.Unstructured{tt.obj}, []string{"apps/shop.yaml"}, []crypto.SealedValue{releaseValue()},
				Options{DefaultNamespace: "prod", Owners: []string{tt.owner}, Widen: tt.widen})
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := unstructured.NestedString(tt.obj.Object, tt.field...)
			if got != tt.want {
				t.Errorf("%s = %q, want the value", strings.Join(tt.field, "."), got)
			}
			if diff := cmp.Diff(tt.widened, res.Widened); diff != "" {
				t.Errorf("Widened (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRefusesReleaseValues(t *testing.T) {
	other := "HelmRelease/prod/other"
	tests := []struct {
		name  string
		obj   *unstructured.Unstructured
		owner string
		widen map[string][]string
		want  string
	}{
		{"a ConfigMap without widening", configMap("prod", "shop-config", map[string]any{"greeting": tok("rel")}), shop, nil,
			"would land in ConfigMap prod/shop-config at data.greeting (built from apps/shop.yaml): a Helm release's sealed value may only be a data or stringData value of a Secret the release renders, unless the release sets spec.sealedValues.allowKinds: [ConfigMap]"},
		{"a Secret in another namespace", secret("other", "shop-db", nil, map[string]any{"password": tok("rel")}), shop, nil,
			"may land only in namespace prod"},
		{"a Secret of another release", secret("prod", "other-db", nil, map[string]any{"password": tok("rel")}), other, nil,
			"only objects that release renders may hold it"},
		{"a Secret no release rendered", secret("prod", "db", nil, map[string]any{"password": tok("rel")}), "", nil,
			"only objects that release renders"},
		{"a ConfigMap of another release that widens", configMap("prod", "other-config", map[string]any{"greeting": tok("rel")}), other, map[string][]string{other: {"ConfigMap"}},
			"only objects that release renders"},
		{"widened, but part of a value", configMap("prod", "shop-config", map[string]any{"greeting": "x" + tok("rel")}), shop, map[string][]string{shop: {"ConfigMap"}},
			"data.greeting"},
		{"widened, but in a label", obj("v1", "ConfigMap", "prod", "shop-config", map[string]any{"metadata": map[string]any{"name": "shop-config", "labels": map[string]any{"a": tok("rel")}}}), shop, map[string][]string{shop: {"ConfigMap"}},
			"metadata.labels.a"},
		{"widened, but a Secret's value", configMap("prod", "shop-config", map[string]any{"greeting": tok("str")}), shop, map[string][]string{shop: {"ConfigMap"}},
			"only a Helm release's sealed values may be widened"},
		{"a plaintext value in a Secret of the release", secret("prod", "shop-db", nil, map[string]any{"password": "inline"}), shop, nil,
			"seal encrypt --release NAMESPACE/NAME"},
		{"a Deployment", obj("apps/v1", "Deployment", "prod", "shop", map[string]any{"spec": map[string]any{"x": tok("rel")}}), shop, map[string][]string{shop: {"ConfigMap"}},
			"Deployment prod/shop at spec.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := append(sealed(), releaseValue())
			_, err := Check([]*unstructured.Unstructured{tt.obj}, []string{"apps/shop.yaml"}, values,
				Options{DefaultNamespace: "prod", Owners: []string{tt.owner}, Widen: tt.widen})
			if !errors.Is(err, ErrViolation) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want a violation naming %q", err, tt.want)
			}
			if strings.Contains(err.Error(), valueVal) || strings.Contains(err.Error(), secretVal) {
				t.Errorf("the error holds a value: %v", err)
			}
		})
	}
}
