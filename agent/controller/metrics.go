package controller

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the agent's Prometheus metrics, registered on the registry
// controller-runtime serves (alongside its own reconcile metrics).
type Metrics struct {
	syncDuration       *prometheus.HistogramVec
	objects            *prometheus.CounterVec
	decryptionFailures *prometheus.CounterVec
	driftCorrections   *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seal_sync_duration_seconds",
			Help:    "Duration of GitSync syncs (fetch, render, apply, prune), by outcome reason.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"namespace", "name", "reason"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seal_objects_total",
			Help: "Objects handled by syncs, by action (created, configured, unchanged, drift-corrected, deleted, skipped).",
		}, []string{"namespace", "name", "action"}),
		decryptionFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seal_decryption_failures_total",
			Help: "Syncs that failed because a file could not be decrypted or failed its integrity check.",
		}, []string{"namespace", "name"}),
		driftCorrections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seal_drift_corrections_total",
			Help: "Objects changed or deleted in the cluster that a sync put back.",
		}, []string{"namespace", "name"}),
	}
	for _, c := range []prometheus.Collector{m.syncDuration, m.objects, m.decryptionFailures, m.driftCorrections} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
