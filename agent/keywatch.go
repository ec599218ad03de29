package agent

import (
	"context"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/seal-gitops/seal/agent/keyring"
)

// Event reasons on the key Secret.
const (
	reasonKeySecretRestored = "KeySecretRestored"
	reasonKeyRestoreFailed  = "KeySecretRestoreFailed"
	reasonKeyGenerated      = "KeyGenerated"
)

// keyObserver turns what the key store does on its own into events on the
// key Secret, log lines and metrics.
type keyObserver struct {
	recorder events.EventRecorder
	log      logr.Logger
	restored *prometheus.CounterVec // by outcome: restored, failed
	rotated  prometheus.Counter
}

func newKeyObserver(recorder events.EventRecorder, log logr.Logger, reg prometheus.Registerer) (*keyObserver, error) {
	o := &keyObserver{
		recorder: recorder, log: log,
		restored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seal_agent_key_secret_restores_total",
			Help: "Times the agent found its key Secret deleted and created it again from the identities it holds in memory, by outcome (restored, failed).",
		}, []string{"outcome"}),
		rotated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seal_agent_key_rotations_total",
			Help: "New agent identities generated on request (seal keys rotate --cluster).",
		}),
	}
	for _, c := range []prometheus.Collector{o.restored, o.rotated} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *keyObserver) Restored(secret *corev1.Secret, err error) {
	name := secret.Namespace + "/" + secret.Name
	if err != nil {
		o.restored.WithLabelValues("failed").Inc()
		o.log.Error(err, "the agent key Secret was deleted and could not be restored; decrypting with the identities held in memory", "secret", name)
		return
	}
	o.restored.WithLabelValues("restored").Inc()
	o.log.Info("WARNING: the agent key Secret was deleted; restored it from the identities held in memory (no key was generated)",
		"secret", name, "dataKeys", len(secret.Data))
	o.recorder.Eventf(secret, nil, corev1.EventTypeWarning, reasonKeySecretRestored, "Restore",
		"Secret %s was deleted while seal-agent ran; it was restored from the %d identity file(s) the agent held in memory. Find out who deleted it.",
		name, len(secret.Data))
}

func (o *keyObserver) Generated(secret *corev1.Secret, fingerprint string) {
	o.rotated.Inc()
	o.recorder.Eventf(secret, nil, corev1.EventTypeNormal, reasonKeyGenerated, "Rotate",
		"Generated identity %s on request; it is the active recipient in ConfigMap %s/%s", fingerprint, secret.Namespace, keyring.PublicKeyConfigMap)
}

// addKeyWatch runs the key store's Watch in the manager (on the leader).
func addKeyWatch(mgr manager.Manager, store *keyring.Store) error {
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		return store.Watch(ctx, keyring.DefaultWatchInterval)
	}))
}
