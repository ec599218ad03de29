package sealcheck

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/seal-gitops/seal/crypto"
)

// letters spells i in the token alphabet.
func letters(i int) string {
	return "s" + strings.Map(func(r rune) rune { return 'a' + r - '0' }, fmt.Sprintf("%03d", i))
}

// BenchmarkCheck1000 checks a render of 500 sealed Secrets and 500
// Deployment-sized ConfigMaps, the shape of make bench's repository.
func BenchmarkCheck1000(b *testing.B) {
	var values []crypto.SealedValue
	make1000 := func() []*unstructured.Unstructured {
		objs := make([]*unstructured.Unstructured, 0, 1000)
		for i := range 500 {
			objs = append(objs, secret("prod", fmt.Sprintf("s-%d", i), nil, map[string]any{"password": tok(letters(i))}))
			cm := map[string]any{}
			for k := range 20 {
				cm[fmt.Sprintf("key-%d", k)] = fmt.Sprintf("an ordinary value of some length, number %d", k)
			}
			objs = append(objs, obj("v1", "ConfigMap", "prod", fmt.Sprintf("c-%d", i), map[string]any{"data": cm}))
		}
		return objs
	}
	for i := range 500 {
		values = append(values, crypto.SealedValue{Token: tok(letters(i)), Value: []byte(base64.StdEncoding.EncodeToString([]byte("v"))), SealedFor: fmt.Sprintf("Secret/prod/s-%d", i)})
	}
	for b.Loop() {
		b.StopTimer()
		objs := make1000()
		b.StartTimer()
		if _, err := Check(objs, nil, values, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
