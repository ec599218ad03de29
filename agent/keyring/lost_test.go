package keyring_test

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
)

// TestBootstrapAfterTheKeySecretWasLost: an agent started while its key
// Secret is gone, but the public-key ConfigMap still publishes the old
// recipient, generates no key and says what to do, unless GenerateKey asks
// for one; a first start (no ConfigMap) generates as always.
func TestBootstrapAfterTheKeySecretWasLost(t *testing.T) {
	tests := []struct {
		name        string
		generateKey bool
		wantErr     bool
	}{
		{"refused without --generate-key", false, true},
		{"new key with --generate-key", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ctx := store(t)
			first, err := s.Bootstrap(ctx)
			if err != nil {
				t.Fatal(err)
			}
			oldR := first.Recipients()[0]
			if err := testCluster.Client.Delete(ctx, keySecret(t, s)); err != nil {
				t.Fatal(err)
			}

			restarted := &keyring.Store{Client: testCluster.Client, Namespace: s.Namespace, SecretName: s.SecretName, GenerateKey: tt.generateKey}
			ring, err := restarted.Bootstrap(ctx)
			var secret corev1.Secret
			getErr := testCluster.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.SecretName}, &secret)
			if tt.wantErr {
				var lost *keyring.LostKeyError
				if !errors.As(err, &lost) {
					t.Fatalf("Bootstrap = %v, want a LostKeyError", err)
				}
				for _, want := range []string{s.Namespace + "/" + s.SecretName, s.Namespace + "/" + keyring.PublicKeyConfigMap,
					keys.Fingerprint(oldR), "--generate-key", "backup"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not name %q: %v", want, err)
					}
				}
				if !apierrors.IsNotFound(getErr) {
					t.Errorf("a key Secret was created although the key was lost (get: %v)", getErr)
				}
				if got := published(t, s)[keyring.RecipientKey]; got != oldR {
					t.Errorf("the published recipient changed to %s", keys.Short(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Bootstrap with GenerateKey: %v", err)
			}
			if getErr != nil {
				t.Fatalf("no key Secret after Bootstrap with GenerateKey: %v", getErr)
			}
			newR := ring.Recipients()[0]
			if ring.Len() != 1 || newR == oldR {
				t.Fatalf("ring after GenerateKey = %v, want one new identity", ring.Recipients())
			}
			if got := published(t, s)[keyring.RecipientKey]; got != newR {
				t.Errorf("published recipient = %s, want the new %s", keys.Short(got), keys.Short(newR))
			}
		})
	}
}
