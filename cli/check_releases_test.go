package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const widenedRelease = `apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: shop
  namespace: prod
spec:
  chart: {path: charts/app, version: 1.0.0}
  sealedValues:
    allowKinds: [ConfigMap]
---
apiVersion: seal.dev/v1alpha1
kind: HelmRelease
metadata:
  name: plain
  namespace: prod
spec:
  chart: {path: charts/app, version: 1.0.0}
`

// seal check shows a HelmRelease's widening as a notice that does not
// fail the check; a release without one shows nothing.
func TestCheckShowsReleaseWidenings(t *testing.T) {
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, "apps/shop.yaml"), widenedRelease)
	r := runSeal(t, dir, nil, "", "check")
	want := cliRun{Stdout: "apps/shop.yaml:1: notice: HelmRelease prod/shop lets its sealed values land in ConfigMap data, not only in Secrets (spec.sealedValues.allowKinds)" +
		" — a notice, not a problem: check that the chart puts only what may be read there; remove allowKinds to keep the values in Secrets\n" +
		"checked 1 file: no problems, 1 notice\n"}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r = runSeal(t, dir, nil, "", "check", "-o", "json")
	if r.Code != 0 || !hasAll(r.Stdout, `"code": "widened"`, `"notice": true`, `"line": 1`) {
		t.Errorf("JSON output (exit %d):\n%s", r.Code, r.Stdout)
	}
	auditWrite(t, filepath.Join(dir, "apps/plain.yaml"), auditPlainSecret)
	if r = runSeal(t, dir, nil, "", "check"); r.Code != ExitFailure || !hasAll(r.Stdout, "2 problems in 1 file, 1 notice") {
		t.Errorf("with a plaintext Secret too (exit %d):\n%s", r.Code, r.Stdout)
	}
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
