package keyring

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/keys"
)

// Publish writes the ring's public recipients to the ConfigMap, changing it
// only when they differ: RecipientKey holds the active (newest) recipient,
// RecipientsKey all of them, and KeysKey each with its state and creation
// time (PublishedKey, as JSON).
func (s *Store) Publish(ctx context.Context, ring *keys.Ring) error {
	recipients := ring.Recipients()
	s.mu.Lock()
	created := createdTimes(s.data)
	s.mu.Unlock()
	list, err := json.Marshal(Published(recipients, created))
	if err != nil {
		return fmt.Errorf("publishing the agent recipients: %w", err)
	}
	data := map[string]string{
		RecipientKey:  recipients[len(recipients)-1],
		RecipientsKey: strings.Join(recipients, "\n") + "\n",
		KeysKey:       string(list) + "\n",
	}
	key := client.ObjectKey{Namespace: s.Namespace, Name: PublicKeyConfigMap}
	var cm corev1.ConfigMap
	err = s.Client.Get(ctx, key, &cm)
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
	if maps.Equal(cm.Data, data) {
		return nil
	}
	cm.Data = data
	if err := s.Client.Update(ctx, &cm); err != nil {
		return fmt.Errorf("publishing the agent recipient in ConfigMap %s: %w", key, err)
	}
	return nil
}

// Key states in the published list.
const (
	StateActive   = "active"   // new files are encrypted to it
	StateRetiring = "retiring" // still opens files; re-wrap them for the active key, then retire it
)

// PublishedKey is one recipient in the ConfigMap's KeysKey list.
type PublishedKey struct {
	Recipient   string `json:"recipient"`
	Fingerprint string `json:"fingerprint"`
	State       string `json:"state"`
	Created     string `json:"created,omitempty"` // RFC 3339, from the identity file's "# created:" line
}

// Published lists recipients (ring order, newest last) with their states:
// the newest is active, the others retiring.
func Published(recipients []string, created map[string]string) []PublishedKey {
	out := make([]PublishedKey, len(recipients))
	for i, r := range recipients {
		state := StateRetiring
		if i == len(recipients)-1 {
			state = StateActive
		}
		out[i] = PublishedKey{Recipient: r, Fingerprint: keys.Fingerprint(r), State: state, Created: created[r]}
	}
	return out
}

var createdRe = regexp.MustCompile(`(?m)^#\s*created:\s*(\S+)\s*$`)

// createdTimes maps each recipient of data's identity files to the
// "# created:" time of its file (age-keygen and seal keygen write one). A
// file holding several identities gives its one time to all of them.
func createdTimes(data map[string][]byte) map[string]string {
	out := map[string]string{}
	for name, v := range data {
		m := createdRe.FindSubmatch(v)
		if m == nil {
			continue
		}
		ring, err := keys.ParseIdentities(name, v)
		if err != nil {
			continue
		}
		for _, r := range ring.Recipients() {
			out[r] = string(m[1])
		}
	}
	return out
}
