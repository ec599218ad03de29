package keyring_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/keys"
)

// publishedJSON is the KeysKey value for list.
func publishedJSON(t *testing.T, list []keyring.PublishedKey) string {
	t.Helper()
	data, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return string(data) + "\n"
}

// withoutCreated drops the creation times from the KeysKey list, after
// checking each is an RFC 3339 time, so the rest compares exactly.
func withoutCreated(t *testing.T, cm map[string]string) map[string]string {
	t.Helper()
	var list []keyring.PublishedKey
	if err := json.Unmarshal([]byte(cm[keyring.KeysKey]), &list); err != nil {
		t.Fatalf("%s: %v", keyring.KeysKey, err)
	}
	for i := range list {
		if _, err := time.Parse(time.RFC3339, list[i].Created); err != nil {
			t.Errorf("%s: key %d created %q: %v", keyring.KeysKey, i, list[i].Created, err)
		}
		list[i].Created = ""
	}
	out := map[string]string{}
	for k, v := range cm {
		out[k] = v
	}
	out[keyring.KeysKey] = publishedJSON(t, list)
	return out
}

// observed records what a Store reports.
type observed struct {
	mu        sync.Mutex
	restored  []error
	generated []string
}

func (o *observed) Restored(_ *corev1.Secret, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.restored = append(o.restored, err)
}

func (o *observed) Generated(_ *corev1.Secret, fp string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.generated = append(o.generated, fp)
}

func keySecret(t *testing.T, s *keyring.Store) *corev1.Secret {
	t.Helper()
	var secret corev1.Secret
	if err := testCluster.Client.Get(context.Background(), client.ObjectKey{Namespace: s.Namespace, Name: s.SecretName}, &secret); err != nil {
		t.Fatal(err)
	}
	return &secret
}

// TestSyncGeneratesOnRequest: a rotation request on the key Secret makes
// Sync generate a hybrid identity in the cluster, active and published
// with the old one retiring; the same request is acted on once.
func TestSyncGeneratesOnRequest(t *testing.T) {
	s, ctx := store(t)
	obs := &observed{}
	s.Observer = obs
	old, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret := keySecret(t, s)
	secret.Annotations = map[string]string{keyring.RotateRequestAnnotation: "2026-12-05T13:00:00Z"}
	if err := testCluster.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ring, err := s.Ring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Len() != 2 || ring.Recipients()[0] != old.Recipients()[0] || ring.Identities()[1].Kind() != keys.Hybrid {
		t.Fatalf("ring after one request = %v, want the old identity then one new hybrid one", ring)
	}
	next := ring.Recipients()[1]
	if diff := cmp.Diff([]string{keys.Fingerprint(next)}, obs.generated); diff != "" {
		t.Errorf("generated (-want +got):\n%s", diff)
	}
	if got := keySecret(t, s).Annotations[keyring.RotatedAnnotation]; got != "2026-12-05T13:00:00Z" {
		t.Errorf("rotated annotation = %q, want the request's value", got)
	}
	want := map[string]string{
		keyring.RecipientKey: next, keyring.RecipientsKey: old.Recipients()[0] + "\n" + next + "\n",
		keyring.KeysKey: publishedJSON(t, []keyring.PublishedKey{
			{Recipient: old.Recipients()[0], Fingerprint: keys.Fingerprint(old.Recipients()[0]), State: keyring.StateRetiring},
			{Recipient: next, Fingerprint: keys.Fingerprint(next), State: keyring.StateActive},
		}),
	}
	if diff := cmp.Diff(want, withoutCreated(t, published(t, s))); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
}

// TestDeletedSecretRestoredFromMemory: a key Secret deleted while the
// store runs is created again with the same identities, never a fresh
// key, and the observer is told once, however many syncs read it missing.
func TestDeletedSecretRestoredFromMemory(t *testing.T) {
	s, ctx := store(t)
	obs := &observed{}
	s.Observer = obs
	first, err := s.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := keySecret(t, s).Data
	if err := testCluster.Client.Delete(ctx, keySecret(t, s)); err != nil {
		t.Fatal(err)
	}
	// Several syncs read the missing Secret at once: it is restored, and
	// reported, once.
	rings := make([]*keys.Ring, 8)
	errs := make([]error, len(rings))
	var wg sync.WaitGroup
	for i := range rings {
		wg.Go(func() { rings[i], errs[i] = s.Ring(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Ring %d with the Secret deleted: %v", i, err)
		}
	}
	ring := rings[len(rings)-1]
	if diff := cmp.Diff(first.Recipients(), ring.Recipients()); diff != "" {
		t.Errorf("ring after deletion (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, keySecret(t, s).Data); diff != "" {
		t.Errorf("restored Secret differs from the deleted one (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]error{nil}, obs.restored, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })); diff != "" {
		t.Errorf("restored (-want +got):\n%s", diff)
	}
	if len(obs.generated) != 0 {
		t.Errorf("a key was generated: %v", obs.generated)
	}
	// Sync after the restore publishes the same recipients.
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := published(t, s)[keyring.RecipientKey]; got != first.Recipients()[0] {
		t.Errorf("published recipient changed after a restore")
	}
}

// TestWatchPublishesAnAddedIdentity: Watch publishes an identity added to
// the Secret by hand without a restart.
func TestWatchPublishesAnAddedIdentity(t *testing.T) {
	s, _ := store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, 100*time.Millisecond) }()
	next, err := keys.Generate(keys.X25519)
	if err != nil {
		t.Fatal(err)
	}
	secret := keySecret(t, s)
	secret.Data["z-added.agekey"] = next.MarshalText(time.Now())
	if err := testCluster.Client.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for published(t, s)[keyring.RecipientKey] != next.Recipient() {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not publish the added identity within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v after cancel", err)
	}
}
