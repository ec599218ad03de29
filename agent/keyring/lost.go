package keyring

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/keys"
)

// LostKeyError is Bootstrap's refusal to replace a key Secret that existed
// before: the public-key ConfigMap still publishes its recipients.
type LostKeyError struct {
	Secret    string   // namespace/name of the missing key Secret
	ConfigMap string   // namespace/name of the ConfigMap that remembers it
	Lost      []string // fingerprints of the published recipients
}

func (e *LostKeyError) Error() string {
	return fmt.Sprintf("the agent key Secret %s is missing, but ConfigMap %s publishes %d recipient(s) (%s) that files in Git are encrypted to; "+
		"a new key could open none of them, so none was generated. Restore the key Secret from your backup "+
		"(for instance kubectl apply -f a copy saved with kubectl get secret -o yaml), "+
		"or, to start over with a new key and re-encrypt the repository for it, start seal-agent once with --generate-key",
		e.Secret, e.ConfigMap, len(e.Lost), strings.Join(e.Lost, ", "))
}

// checkFirstStart returns a LostKeyError when the public-key ConfigMap
// publishes a recipient and GenerateKey is not set. With GenerateKey set
// it logs that the old recipients are being replaced.
func (s *Store) checkFirstStart(ctx context.Context) error {
	var cm corev1.ConfigMap
	key := client.ObjectKey{Namespace: s.Namespace, Name: PublicKeyConfigMap}
	err := s.Client.Get(ctx, key, &cm)
	if apierrors.IsNotFound(err) {
		return nil // first start
	}
	if err != nil {
		return fmt.Errorf("reading ConfigMap %s to tell a first start from a lost key: %w", key, err)
	}
	var lost []string
	for _, r := range strings.Fields(cm.Data[RecipientsKey] + " " + cm.Data[RecipientKey]) {
		if fp := keys.Fingerprint(r); !slices.Contains(lost, fp) {
			lost = append(lost, fp)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	if s.GenerateKey {
		log.FromContext(ctx).Info("WARNING: the agent key Secret is missing; generating a new key as --generate-key asks. Files encrypted only to the lost recipients can no longer be decrypted",
			"secret", s.Namespace+"/"+s.SecretName, "lostRecipients", lost)
		return nil
	}
	return &LostKeyError{Secret: s.Namespace + "/" + s.SecretName, ConfigMap: key.String(), Lost: lost}
}
