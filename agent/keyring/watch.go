package keyring

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/keys"
)

const (
	// RotateRequestAnnotation on the key Secret asks the agent for a new
	// identity (seal keys rotate --cluster sets it to a fresh value). The
	// agent generates it in the cluster, so the private key never leaves it.
	RotateRequestAnnotation = "seal.dev/rotate-requested"
	// RotatedAnnotation records the request value last acted on.
	RotatedAnnotation = "seal.dev/rotated"
	// DefaultWatchInterval is how often Watch reads the key Secret.
	DefaultWatchInterval = 2 * time.Second
)

// Watch follows the key Secret until ctx ends: every interval it reads the
// Secret (restoring it from memory if it was deleted), generates a new
// identity when a rotation is requested, and publishes the recipients, so
// an identity added to the Secret is published without a restart. A
// one-object GET every interval is cheaper to get right than a watch with
// its re-list and resourceVersion handling, and the Secret changes rarely.
// A failure is logged when it starts and when its message changes, and
// its end once: an API server down for an hour is not a line every
// interval.
func (s *Store) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	logger := log.FromContext(ctx).WithName("keyring")
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := "" // the message of the failure going on, logged once
	for {
		err := s.Sync(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil && err.Error() != failing:
			failing = err.Error()
			logger.Error(err, "agent key Secret (logged again when the error changes or ends)")
		case err == nil && failing != "":
			failing = ""
			logger.Info("agent key Secret read again")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sync is one step of Watch.
func (s *Store) Sync(ctx context.Context) error {
	ring, secret, err := s.current(ctx)
	if err != nil {
		return err
	}
	if req := secret.Annotations[RotateRequestAnnotation]; req != "" && req != secret.Annotations[RotatedAnnotation] {
		if ring, err = s.rotate(ctx, req); err != nil {
			return err
		}
	}
	return s.Publish(ctx, ring)
}

// rotate adds a new hybrid identity under a data key that sorts after the
// others (so it is the newest, the active one) and records the request as
// done, in one update: a conflicting change makes it fail, and the next
// Sync tries again on the fresh Secret.
func (s *Store) rotate(ctx context.Context, req string) (*keys.Ring, error) {
	_, secret, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	id, err := keys.Generate(keys.Hybrid)
	if err != nil {
		return nil, fmt.Errorf("generating a new agent identity: %w", err)
	}
	t := now().UTC()
	name := "key-" + t.Format("20060102T150405.000000000Z") + ".agekey"
	if last := lastKey(secret.Data); last >= name { // keep the new key last in sorted order
		name = last + "-next.agekey"
	}
	if secret.Data == nil {
		secret.Data = map[string][]byte{}
	}
	secret.Data[name] = id.MarshalText(t)
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	secret.Annotations[RotatedAnnotation] = req
	if err := s.Client.Update(ctx, secret); err != nil {
		return nil, fmt.Errorf("adding a new identity to the agent key Secret %s/%s: %w", s.Namespace, s.SecretName, err)
	}
	if s.Observer != nil {
		s.Observer.Generated(secret, id.Fingerprint())
	}
	log.FromContext(ctx).Info("generated a new agent identity on request", "secret", s.Namespace+"/"+s.SecretName,
		"dataKey", name, "fingerprint", id.Fingerprint())
	ring, _, err := s.current(ctx)
	return ring, err
}

// lastKey is the greatest data key, "" for none.
func lastKey(data map[string][]byte) string {
	last := ""
	for k := range data {
		last = max(last, k)
	}
	return last
}
