package keyring

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/keys"
)

const (
	// DefaultSecretName is the agent's key Secret in its namespace.
	DefaultSecretName = "seal-agent-key"
	// PublicKeyConfigMap is where the agent publishes its recipient.
	PublicKeyConfigMap = "seal-agent-public-key"
	// RecipientKey holds the recipient new files should be encrypted to:
	// the newest identity's (the last of the Secret's data keys in sorted
	// order, the last identity in it).
	RecipientKey = "recipient"
	// RecipientsKey holds every recipient of the ring, one a line, newest
	// last: during a rotation, files encrypted to all of them open either way.
	RecipientsKey = "recipients"
	// generatedKey is the data key bootstrap writes the first identity to.
	generatedKey = "identity.agekey"
)

// Store reads and bootstraps the agent's key Secret. It caches the parsed
// ring by the Secret's resourceVersion, so reading it every sync is one GET.
type Store struct {
	Client     client.Client // reads and writes the Secret and ConfigMap
	Namespace  string
	SecretName string

	mu      sync.Mutex
	version string
	ring    *keys.Ring
}

// Bootstrap makes sure the key Secret exists, generating a hybrid identity
// into it when it does not, and publishes the ring's recipients. It returns
// the ring.
func (s *Store) Bootstrap(ctx context.Context) (*keys.Ring, error) {
	ring, err := s.Ring(ctx)
	if apierrors.IsNotFound(err) {
		if err := s.generate(ctx); err != nil {
			return nil, err
		}
		ring, err = s.Ring(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Publish(ctx, ring); err != nil {
		return nil, err
	}
	return ring, nil
}

// Ring reads the key Secret and returns its identities.
func (s *Store) Ring(ctx context.Context) (*keys.Ring, error) {
	var secret corev1.Secret
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.SecretName}, &secret); err != nil {
		return nil, fmt.Errorf("agent key Secret %s/%s: %w", s.Namespace, s.SecretName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring != nil && s.version == secret.ResourceVersion {
		return s.ring, nil
	}
	ring, err := FromSecret(&secret)
	if err != nil {
		return nil, err
	}
	s.ring, s.version = ring, secret.ResourceVersion
	return ring, nil
}

// FromSecret parses every data value of secret as an age identity file, in
// the sorted order of the data keys. Errors name the Secret and key, never
// key material.
func FromSecret(secret *corev1.Secret) (*keys.Ring, error) {
	names := make([]string, 0, len(secret.Data))
	for name := range secret.Data {
		names = append(names, name)
	}
	sort.Strings(names)
	ring := keys.NewRing()
	for _, name := range names {
		r, err := keys.ParseIdentities(fmt.Sprintf("Secret %s/%s key %s", secret.Namespace, secret.Name, name), secret.Data[name])
		if err != nil {
			return nil, err
		}
		ring.Add(r)
	}
	if ring.Len() == 0 {
		return nil, fmt.Errorf("key Secret %s/%s holds no age identity: add one (seal keygen -o key.txt) under a data key such as %s", secret.Namespace, secret.Name, generatedKey)
	}
	return ring, nil
}

// generate creates the key Secret with a new hybrid identity. Losing a
// create race to another replica is fine: its key is used.
func (s *Store) generate(ctx context.Context) error {
	id, err := keys.Generate(keys.Hybrid)
	if err != nil {
		return fmt.Errorf("generating the agent key: %w", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: s.SecretName, Namespace: s.Namespace,
			Labels: map[string]string{"app.kubernetes.io/name": "seal-agent", "app.kubernetes.io/component": "key"},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{generatedKey: id.MarshalText(time.Now().UTC())},
	}
	if err := s.Client.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the agent key Secret %s/%s: %w", s.Namespace, s.SecretName, err)
	}
	return nil
}

// Publish writes the ring's public recipients to the ConfigMap, changing it
// only when they differ.
func (s *Store) Publish(ctx context.Context, ring *keys.Ring) error {
	recipients := ring.Recipients()
	data := map[string]string{
		RecipientKey:  recipients[len(recipients)-1],
		RecipientsKey: strings.Join(recipients, "\n") + "\n",
	}
	key := client.ObjectKey{Namespace: s.Namespace, Name: PublicKeyConfigMap}
	var cm corev1.ConfigMap
	err := s.Client.Get(ctx, key, &cm)
	switch {
	case apierrors.IsNotFound(err):
		cm = corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace,
				Labels: map[string]string{"app.kubernetes.io/name": "seal-agent", "app.kubernetes.io/component": "public-key"}},
			Data: data,
		}
		if err := s.Client.Create(ctx, &cm); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("publishing the agent recipient in ConfigMap %s: %w", key, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading ConfigMap %s: %w", key, err)
	}
	if cm.Data[RecipientKey] == data[RecipientKey] && cm.Data[RecipientsKey] == data[RecipientsKey] {
		return nil
	}
	cm.Data = data
	if err := s.Client.Update(ctx, &cm); err != nil {
		return fmt.Errorf("publishing the agent recipient in ConfigMap %s: %w", key, err)
	}
	return nil
}
