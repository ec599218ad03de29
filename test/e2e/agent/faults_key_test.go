package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/keyring"
)

// TestFaultKeySecretDeletedMidSync deletes the agent's key Secret while
// the agent is in the middle of applying a change (through a slow client):
// the agent restores the Secret from the identities it holds in memory,
// with the same data (no key generated), records a KeySecretRestored
// Warning event on it, and finishes the sync: the cluster and the inventory
// hold exactly the new revision, its Secret decrypted with the key that
// was deleted.
func TestFaultKeySecretDeletedMidSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t, slowClient...)
	var before corev1.Secret
	if err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.DefaultSecretName}, &before); err != nil {
		t.Fatal(err)
	}
	b := startBigChange(e)
	if err := kube.Client.Delete(e.ctx, &before); err != nil {
		t.Fatal(err)
	}
	b.check()

	var after corev1.Secret
	e.eventually(30*time.Second, "the key Secret restored", func() (bool, error) {
		err := kube.Client.Get(e.ctx, client.ObjectKey{Namespace: e.ns, Name: keyring.DefaultSecretName}, &after)
		return err == nil, client.IgnoreNotFound(err)
	})
	if after.UID == before.UID {
		t.Fatal("the key Secret was not deleted")
	}
	if diff := cmp.Diff(before.Data, after.Data); diff != "" {
		t.Errorf("the restored key Secret's data differs: a key was lost or generated (%d keys before, %d after)", len(before.Data), len(after.Data))
	}
	if got := e.waitRecipient(); got != e.recipient {
		t.Errorf("the agent's recipient changed from %s to %s", e.recipient, got)
	}
	e.eventually(30*time.Second, "a KeySecretRestored Warning event", func() (bool, error) {
		var evs eventsv1.EventList
		if err := kube.Client.List(e.ctx, &evs, client.InNamespace(e.ns)); err != nil {
			return false, err
		}
		for _, ev := range evs.Items {
			if ev.Reason == "KeySecretRestored" && ev.Type == corev1.EventTypeWarning && ev.Regarding.Name == keyring.DefaultSecretName {
				return strings.Contains(ev.Note, "Find out who deleted it"), nil
			}
		}
		return false, nil
	})
	e.checkNoPlaintextOnDisk(e.dir + "/data")
}
