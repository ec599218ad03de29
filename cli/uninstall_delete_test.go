package cli

import (
	"bytes"
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// An object already being deleted (an earlier uninstall's CRD, waiting
// for its objects to go) is not deleted and reported again; one that is
// not there is skipped; one that is there is deleted and reported.
func TestUninstallDeleteSkipsWhatIsGoingAlready(t *testing.T) {
	now := metav1.Now()
	going := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "going",
		DeletionTimestamp: &now, Finalizers: []string{"example.com/hold"}}}
	here := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "seal-system", Name: "here"}}
	var out bytes.Buffer
	u := &uninstaller{c: fakeGitSyncs(t, interceptor.Funcs{}, going, here), where: "the test cluster", out: &stickyWriter{w: &out}}
	for _, name := range []string{"going", "here", "absent"} {
		if err := u.delete(context.Background(), objectOf("v1", "ConfigMap", "seal-system", name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got, want := out.String(), "  deleted    ConfigMap/seal-system/here\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
