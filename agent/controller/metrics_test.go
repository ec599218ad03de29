package controller

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

func TestMetricsFollowTheOutcome(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	gs := &v1alpha1.GitSync{}
	gs.Namespace, gs.Name = "apps", "web"
	tests := []struct {
		name      string
		outcome   *Outcome
		suspend   bool
		ready     float64
		suspended float64
		applied   bool // last applied time set
	}{
		{"a failed sync is not Ready", &Outcome{Err: classify(StageHealth, errors.New("Deployment web: not available")),
			Durations: []StageDuration{{StageSource, time.Second}, {StageHealth, time.Second}}}, false, 0, 0, false},
		{"a successful sync is Ready and stamps the apply time", &Outcome{Revision: "abc",
			Durations: []StageDuration{{StageSource, time.Second}, {StageApply, time.Second}}}, false, 1, 0, true},
		{"a suspended GitSync", nil, true, 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs.Spec.Suspend = tt.suspend
			if tt.outcome != nil {
				m.observe(gs, tt.outcome, 2*time.Second)
				gs.Status.Conditions = nil
				status := metav1.ConditionTrue
				if tt.outcome.Err != nil {
					status = metav1.ConditionFalse
				}
				setCondition(gs, v1alpha1.ConditionReady, status, "x", "x")
			}
			m.state(gs)
			if got := testutil.ToFloat64(m.ready.WithLabelValues("apps", "web")); got != tt.ready {
				t.Errorf("ready = %v, want %v", got, tt.ready)
			}
			if got := testutil.ToFloat64(m.suspended.WithLabelValues("apps", "web")); got != tt.suspended {
				t.Errorf("suspended = %v, want %v", got, tt.suspended)
			}
			if got := testutil.ToFloat64(m.lastApplied.WithLabelValues("apps", "web")) > 0; got != tt.applied {
				t.Errorf("last applied set %v, want %v", got, tt.applied)
			}
		})
	}
	if n := testutil.CollectAndCount(m.stageDuration); n != 3 {
		t.Errorf("%d stage duration series, want 3 (source, health, apply)", n)
	}
	m.forget("apps", "web")
	if n := testutil.CollectAndCount(m.ready) + testutil.CollectAndCount(m.stageDuration); n != 0 {
		t.Errorf("%d series left after forget", n)
	}
}
