package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// Metrics are the agent's Prometheus metrics, registered on the registry
// controller-runtime serves (alongside its own reconcile metrics).
type Metrics struct {
	syncDuration       *prometheus.HistogramVec
	stageDuration      *prometheus.HistogramVec
	objects            *prometheus.CounterVec
	decryptionFailures *prometheus.CounterVec
	driftCorrections   *prometheus.CounterVec
	ready              *prometheus.GaugeVec
	suspended          *prometheus.GaugeVec
	lastApplied        *prometheus.GaugeVec
	commitStatus       *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
	m := &Metrics{
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seal_sync_duration_seconds",
			Help:    "Duration of GitSync syncs (every stage), by outcome reason.",
			Buckets: buckets,
		}, []string{"namespace", "name", "reason"}),
		stageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seal_stage_duration_seconds",
			Help:    "Duration of each stage of GitSync syncs (source, verify, render, sealcheck, apply, prune, health, notify).",
			Buckets: buckets,
		}, []string{"namespace", "name", "stage"}),
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
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seal_gitsync_ready",
			Help: "1 when the GitSync's Ready condition is True, else 0.",
		}, []string{"namespace", "name"}),
		suspended: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seal_gitsync_suspended",
			Help: "1 when the GitSync's spec.suspend is true, else 0.",
		}, []string{"namespace", "name"}),
		lastApplied: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seal_gitsync_last_applied_timestamp_seconds",
			Help: "Unix time of the GitSync's last successful sync.",
		}, []string{"namespace", "name"}),
		commitStatus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seal_commit_status_failures_total",
			Help: "Syncs whose commit status did not reach the Git host, by reason (PostFailed: the host was down or refused it; InvalidConfig).",
		}, []string{"namespace", "name", "reason"}),
	}
	for _, c := range []prometheus.Collector{m.syncDuration, m.stageDuration, m.objects, m.decryptionFailures,
		m.driftCorrections, m.ready, m.suspended, m.lastApplied, m.commitStatus} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records a sync's outcome.
func (m *Metrics) observe(gs *v1alpha1.GitSync, o *Outcome, took time.Duration) {
	reason := v1alpha1.ReasonSucceeded
	if o.Err != nil {
		reason = o.Err.Reason
	}
	m.syncDuration.WithLabelValues(gs.Namespace, gs.Name, reason).Observe(took.Seconds())
	for _, d := range o.Durations {
		m.stageDuration.WithLabelValues(gs.Namespace, gs.Name, d.Stage).Observe(d.Duration.Seconds())
	}
	if reason == v1alpha1.ReasonDecryptionFailed {
		m.decryptionFailures.WithLabelValues(gs.Namespace, gs.Name).Inc()
	}
	if o.Err == nil {
		m.lastApplied.WithLabelValues(gs.Namespace, gs.Name).Set(float64(time.Now().Unix()))
	}
}

// countObjects adds what apply and prune did.
func (m *Metrics) countObjects(gs *v1alpha1.GitSync, counts map[apply.Action]int) {
	for action, n := range counts {
		m.objects.WithLabelValues(gs.Namespace, gs.Name, string(action)).Add(float64(n))
	}
	if drift := counts[apply.DriftCorrected]; drift > 0 {
		m.driftCorrections.WithLabelValues(gs.Namespace, gs.Name).Add(float64(drift))
	}
}

// state sets the Ready and suspended gauges from gs's status as it will
// be patched.
func (m *Metrics) state(gs *v1alpha1.GitSync) {
	ready := 0.0
	if meta.IsStatusConditionTrue(gs.Status.Conditions, v1alpha1.ConditionReady) {
		ready = 1
	}
	m.ready.WithLabelValues(gs.Namespace, gs.Name).Set(ready)
	suspended := 0.0
	if gs.Spec.Suspend {
		suspended = 1
	}
	m.suspended.WithLabelValues(gs.Namespace, gs.Name).Set(suspended)
}

// forget drops the GitSync's series.
func (m *Metrics) forget(namespace, name string) {
	labels := prometheus.Labels{"namespace": namespace, "name": name}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.syncDuration, m.stageDuration, m.objects, m.decryptionFailures, m.driftCorrections, m.ready, m.suspended, m.lastApplied, m.commitStatus} {
		v.DeletePartialMatch(labels)
	}
}

// commitStatusFailed counts a sync whose commit status was not posted.
func (m *Metrics) commitStatusFailed(gs *v1alpha1.GitSync, reason string) {
	m.commitStatus.WithLabelValues(gs.Namespace, gs.Name, reason).Inc()
}
