package keyring_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/cluster"
)

var testCluster *cluster.Cluster

func TestMain(m *testing.M) {
	c, err := cluster.Start(cluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCluster = c
	code := m.Run()
	c.Stop()
	os.Exit(code)
}

func store(t *testing.T) (*keyring.Store, context.Context) {
	t.Helper()
	ctx := context.Background()
	ns, err := testCluster.Namespace(ctx, "keys")
	if err != nil {
		t.Fatal(err)
	}
	return &keyring.Store{Client: testCluster.Client, Namespace: ns, SecretName: keyring.DefaultSecretName}, ctx
}

func published(t *testing.T, s *keyring.Store) map[string]string {
	t.Helper()
	var cm corev1.ConfigMap
	if err := testCluster.Client.Get(context.Background(), client.ObjectKey{Namespace: s.Namespace, Name: keyring.PublicKeyConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	for k, v := range cm.Data {
		if strings.Contains(v, "AGE-SECRET-KEY") {
			t.Fatalf("ConfigMap key %s holds private key material", k)
		}
	}
	return cm.Data
}

func TestBootstrapGeneratesAHybridKeyOnceAndPublishesIt(t *testing.T) {
	s, ctx := store(t)
	ring, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Len() != 1 || ring.Identities()[0].Kind() != keys.Hybrid {
		t.Fatalf("bootstrapped ring = %v, want one hybrid identity", ring)
	}
	recipient := ring.Recipients()[0]
	if !strings.HasPrefix(recipient, "age1pq1") {
		t.Errorf("recipient %s is not a hybrid recipient", keys.Short(recipient))
	}
	want := map[string]string{keyring.RecipientKey: recipient, keyring.RecipientsKey: recipient + "\n",
		keyring.KeysKey: publishedJSON(t, []keyring.PublishedKey{{Recipient: recipient, Fingerprint: keys.Fingerprint(recipient), State: keyring.StateActive}})}
	if diff := cmp.Diff(want, withoutCreated(t, published(t, s))); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}

	// A restart finds the key and keeps it.
	again, err := (&keyring.Store{Client: testCluster.Client, Namespace: s.Namespace, SecretName: s.SecretName}).Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ring.Recipients(), again.Recipients()); diff != "" {
		t.Errorf("second bootstrap changed the key (-first +second):\n%s", diff)
	}
}

func TestRotationAddsAKeyAndPublishesTheNewest(t *testing.T) {
	s, ctx := store(t)
	old, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, err := keys.Generate(keys.X25519)
	if err != nil {
		t.Fatal(err)
	}
	var secret corev1.Secret
	if err := testCluster.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.SecretName}, &secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["z-2026-12.agekey"] = next.MarshalText(time.Now())
	if err := testCluster.Client.Update(ctx, &secret); err != nil {
		t.Fatal(err)
	}
	ring, err := s.Ring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRecipients := []string{old.Recipients()[0], next.Recipient()}
	if diff := cmp.Diff(wantRecipients, ring.Recipients()); diff != "" {
		t.Fatalf("ring after rotation (-want +got):\n%s", diff)
	}
	if err := s.Publish(ctx, ring); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{keyring.RecipientKey: next.Recipient(), keyring.RecipientsKey: strings.Join(wantRecipients, "\n") + "\n",
		keyring.KeysKey: publishedJSON(t, []keyring.PublishedKey{
			{Recipient: wantRecipients[0], Fingerprint: keys.Fingerprint(wantRecipients[0]), State: keyring.StateRetiring},
			{Recipient: next.Recipient(), Fingerprint: keys.Fingerprint(next.Recipient()), State: keyring.StateActive},
		})}
	if diff := cmp.Diff(want, withoutCreated(t, published(t, s))); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
}

func TestFromSecretErrors(t *testing.T) {
	id, _ := keys.Generate(keys.X25519)
	secretLine := strings.TrimSpace(string(id.MarshalText(time.Now())))
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr string
	}{
		{"empty", map[string][]byte{}, "holds no age identity"},
		{"truncated key", map[string][]byte{"k.agekey": []byte(secretLine[:len(secretLine)-5] + "\n")}, "key k.agekey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "keys"}, Data: tt.data}
			_, err := keyring.FromSecret(secret)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "ns/keys") {
				t.Fatalf("error = %v, want one naming ns/keys and containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Errorf("error holds key material: %v", err)
			}
		})
	}
}
