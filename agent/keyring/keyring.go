package keyring

import (
	"context"
	"fmt"
	"maps"
	"sort"
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
	// KeysKey holds every recipient with its state (active or retiring)
	// and creation time, as a JSON list of PublishedKey.
	KeysKey = "keys.json"
	// generatedKey is the data key bootstrap writes the first identity to.
	generatedKey = "identity.agekey"
)

// Store reads and bootstraps the agent's key Secret. It caches the parsed
// ring by the Secret's resourceVersion, so reading it every sync is one GET.
// It keeps the Secret's data in memory: when the Secret is deleted while
// the agent runs, Ring puts it back from memory (and says so through
// Observer) instead of failing the sync or generating a fresh key.
type Store struct {
	Client     client.Client // reads and writes the Secret and ConfigMap
	Namespace  string
	SecretName string
	// Observer hears about what the store does on its own; nil for none.
	Observer Observer
	// Now is the clock for new identities' creation time; nil for time.Now.
	Now func() time.Time
	// GenerateKey lets Bootstrap generate a fresh key although the public
	// key ConfigMap shows the agent had one before (seal-agent
	// --generate-key). Without it, a lost key Secret stops the start.
	GenerateKey bool

	mu      sync.Mutex
	version string
	ring    *keys.Ring
	data    map[string][]byte // the Secret's data behind ring, to restore it
}

// Observer is told when the store acts on its own, for events, logs and
// metrics. Its methods must not block.
type Observer interface {
	// Restored: the key Secret was missing and was created again from the
	// identities held in memory (err is nil), or could not be (err says
	// why; the ring in memory is used meanwhile).
	Restored(secret *corev1.Secret, err error)
	// Generated: a rotation request made a new identity, now active.
	Generated(secret *corev1.Secret, fingerprint string)
}

// Bootstrap makes sure the key Secret exists and publishes the ring's
// recipients. It returns the ring.
//
// A missing key Secret is generated (a hybrid identity) only on a first
// start: when the public-key ConfigMap publishes no recipient yet. When it
// does, the key that files in Git are encrypted to was lost (the Secret
// deleted while no agent ran), and a fresh key would open none of them:
// Bootstrap then returns a LostKeyError, unless GenerateKey is set.
func (s *Store) Bootstrap(ctx context.Context) (*keys.Ring, error) {
	ring, err := s.Ring(ctx)
	if apierrors.IsNotFound(err) {
		if err := s.checkFirstStart(ctx); err != nil {
			return nil, err
		}
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

// Ring reads the key Secret and returns its identities. A Secret deleted
// after it was read once is restored from memory.
func (s *Store) Ring(ctx context.Context) (*keys.Ring, error) {
	ring, _, err := s.current(ctx)
	return ring, err
}

// current returns the ring and the Secret it was read from.
func (s *Store) current(ctx context.Context) (*keys.Ring, *corev1.Secret, error) {
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: s.Namespace, Name: s.SecretName}
	err := s.Client.Get(ctx, key, &secret)
	s.mu.Lock()
	defer s.mu.Unlock()
	if apierrors.IsNotFound(err) && s.ring != nil {
		restored, created, rerr := s.restoreLocked(ctx)
		if s.Observer != nil && (created || rerr != nil) { // a restore by another caller is reported once, there
			s.Observer.Restored(restored, rerr)
		}
		return s.ring, restored, nil // the identities in memory open the files meanwhile
	}
	if err != nil {
		return nil, nil, fmt.Errorf("agent key Secret %s/%s: %w", s.Namespace, s.SecretName, err)
	}
	if s.ring != nil && s.version == secret.ResourceVersion {
		return s.ring, &secret, nil
	}
	ring, err := FromSecret(&secret)
	if err != nil {
		return nil, nil, err
	}
	s.ring, s.version, s.data = ring, secret.ResourceVersion, maps.Clone(secret.Data)
	return ring, &secret, nil
}

// restoreLocked creates the key Secret again from the data in memory.
// created is false when it exists again already (restored by a concurrent
// caller that read it missing too).
func (s *Store) restoreLocked(ctx context.Context) (secret *corev1.Secret, created bool, err error) {
	secret = &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: s.SecretName, Namespace: s.Namespace, Labels: keyLabels()},
		Type:       corev1.SecretTypeOpaque,
		Data:       maps.Clone(s.data),
	}
	if err := s.Client.Create(ctx, secret); apierrors.IsAlreadyExists(err) {
		return secret, false, nil
	} else if err != nil {
		return secret, false, fmt.Errorf("restoring the agent key Secret %s/%s from memory: %w", s.Namespace, s.SecretName, err)
	}
	s.version = secret.ResourceVersion
	return secret, true, nil
}

func keyLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "seal-agent", "app.kubernetes.io/component": "key"}
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
			Labels: keyLabels(),
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{generatedKey: id.MarshalText(time.Now().UTC())},
	}
	if err := s.Client.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the agent key Secret %s/%s: %w", s.Namespace, s.SecretName, err)
	}
	return nil
}
