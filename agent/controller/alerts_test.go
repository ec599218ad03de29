package controller

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// TestAlertOnReadyTransitions drives Reconciler.alert through a failure,
// a resync still failing, a recovery and a missing Secret, with a fake
// client and a local receiver.
func TestAlertOnReadyTransitions(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	received := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), bodies...) }

	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	hook := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "hook"}, Data: map[string][]byte{"address": []byte(srv.URL + "/hook\n")}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(hook).Build()
	recorder := events.NewFakeRecorder(10)
	r := New(Config{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, c, c, recorder)

	gs := &v1alpha1.GitSync{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "apps"},
		Spec: v1alpha1.GitSyncSpec{Interval: metav1.Duration{Duration: time.Hour},
			Alerts: []v1alpha1.Alert{{Type: v1alpha1.AlertGeneric, SecretRef: v1alpha1.LocalObjectReference{Name: "hook"}}}}}
	o := &Outcome{Revision: strings.Repeat("b", 40), Author: "Bob", Subject: "break"}
	wait := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(received()) < n || !r.alerts.dispatcher.Idle() {
			if time.Now().After(deadline) {
				t.Fatalf("%d alerts received, want %d", len(received()), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRenderFailed, "bad YAML")
	r.alert(context.Background(), metav1.ConditionTrue, gs, o, nil)
	wait(1)
	if b := received()[0]; !strings.Contains(b, `"kind": "Failing"`) || !strings.Contains(b, `"author": "Bob"`) || !strings.Contains(b, `"message": "bad YAML"`) {
		t.Errorf("first alert:\n%s", b)
	}
	r.alert(context.Background(), metav1.ConditionFalse, gs, o, nil) // still failing, within the interval
	setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonSucceeded, "Applied")
	r.alert(context.Background(), metav1.ConditionFalse, gs, o, nil)
	r.alert(context.Background(), metav1.ConditionTrue, gs, o, nil) // no-op resync
	wait(2)
	time.Sleep(50 * time.Millisecond)
	if got := received(); len(got) != 2 || !strings.Contains(got[1], `"kind": "Recovered"`) {
		t.Fatalf("alerts %q, want Failing then Recovered only", got)
	}

	gs.Spec.Alerts[0].SecretRef.Name = "missing"
	setCondition(gs, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRenderFailed, "bad YAML")
	r.alert(context.Background(), metav1.ConditionTrue, gs, o, nil)
	select {
	case ev := <-recorder.Events:
		if !strings.Contains(ev, "Warning AlertFailed") || !strings.Contains(ev, "spec.alerts[0].secretRef") {
			t.Errorf("event %q", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("no AlertFailed event for a missing Secret")
	}
}
