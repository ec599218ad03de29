package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/seal-gitops/seal/agent/alert"
	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// reasonAlertFailed is the reason of the Warning event of an alert that
// could not be sent.
const reasonAlertFailed = "AlertFailed"

// alerts decides and sends a GitSync's alerts (spec.alerts).
type alerts struct {
	tracker    *alert.Tracker
	dispatcher *alert.Dispatcher
}

func newAlerts(opts alert.Options) *alerts {
	return &alerts{tracker: alert.NewTracker(), dispatcher: alert.New(opts)}
}

// readyStatus is gs's Ready status, "" without the condition.
func readyStatus(gs *v1alpha1.GitSync) metav1.ConditionStatus {
	if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady); c != nil {
		return c.Status
	}
	return ""
}

// alert sends gs's alerts when the sync changed its Ready condition from
// prev in a way that deserves one. The Secrets holding the targets' URLs
// are read now, as the GitSync's service account (rec's); the delivery
// happens in the background, and its failure is only logged and shown
// as a Warning event: it never fails the sync.
func (r *Reconciler) alert(ctx context.Context, prev metav1.ConditionStatus, gs *v1alpha1.GitSync, o *Outcome, rec *record) {
	key := gs.Namespace + "/" + gs.Name
	if len(gs.Spec.Alerts) == 0 {
		r.alerts.tracker.Forget(key)
		return
	}
	kind, due := r.alerts.tracker.Decide(key, prev, readyStatus(gs), gs.Spec.IntervalOrDefault(), time.Now())
	if !due {
		return
	}
	logger := log.FromContext(ctx)
	ref := gs.DeepCopy()
	failed := func(err error) {
		logger.Info("alert not sent", "error", err.Error())
		r.Recorder.Eventf(ref, nil, corev1.EventTypeWarning, reasonAlertFailed, "Alert", "%s", err.Error())
	}
	sec := secrets{reader: r.APIReader}
	switch {
	case rec != nil && rec.serviceAccount != "":
		sec = secrets{reader: rec.client, as: rec.serviceAccount}
	case rec == nil && r.records.serviceAccount(gs) != "":
		failed(fmt.Errorf("alert %s not sent: no client for the GitSync's service account to read spec.alerts' Secrets with", kind))
		return
	}
	var targets []alert.Target
	for i, a := range gs.Spec.Alerts {
		field := fmt.Sprintf("spec.alerts[%d].secretRef", i)
		secret, err := sec.get(ctx, gs, a.SecretRef.Name, field)
		if err != nil {
			failed(fmt.Errorf("%s alert %s not sent: %w", a.Type, kind, err))
			continue
		}
		targets = append(targets, alert.Target{Type: a.Type, Address: strings.TrimSpace(string(secret.Data["address"])),
			Source: "Secret " + gs.Namespace + "/" + a.SecretRef.Name})
	}
	ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	e := alert.Event{Kind: kind, Namespace: gs.Namespace, Name: gs.Name, Reason: ready.Reason, Message: ready.Message,
		Revision: o.Revision, Author: o.Author, Subject: o.Subject, Time: time.Now()}
	if e.Revision == "" {
		e.Revision = gs.Status.LastAttemptedRevision
	}
	logger.Info("alert", "kind", kind, "reason", e.Reason, "targets", len(targets))
	r.alerts.dispatcher.Send(key, targets, e, failed)
}
