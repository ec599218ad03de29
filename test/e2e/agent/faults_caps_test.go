package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// bigConfigMap is a ConfigMap manifest of about size bytes.
func bigConfigMap(name string, size int) []byte {
	return fmt.Appendf(nil, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  blob: %s\n", name, strings.Repeat("x", size))
}

// manyConfigMaps is one file of n small ConfigMap documents.
func manyConfigMaps(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-%05d\n", i)
	}
	return []byte(b.String())
}

// TestFaultRepositoryOverTheCaps commits, with a change, files over each
// of the render's caps: the GitSync turns Ready=False with RenderFailed
// naming the file and the cap, nothing of the change is applied and
// nothing pruned, and the change is applied once the files are removed.
func TestFaultRepositoryOverTheCaps(t *testing.T) {
	t.Parallel()
	const fileCap, renderCap = 64 << 10, 256 << 10
	caps := []string{"--max-file-size", fmt.Sprint(fileCap), "--max-render-size", fmt.Sprint(renderCap)}
	for _, tc := range []struct {
		name    string
		args    []string
		files   map[string][]byte
		mention []string
	}{
		{"a file over --max-file-size", caps, map[string][]byte{
			"apps/big.yaml": bigConfigMap("big", fileCap+1024),
		}, []string{"apps/big.yaml", "MaxFileSize"}},
		{"files over --max-render-size in all", caps, map[string][]byte{
			"apps/big-1.yaml": bigConfigMap("big-1", fileCap-1024),
			"apps/big-2.yaml": bigConfigMap("big-2", fileCap-1024),
			"apps/big-3.yaml": bigConfigMap("big-3", fileCap-1024),
			"apps/big-4.yaml": bigConfigMap("big-4", fileCap-1024),
			"apps/big-5.yaml": bigConfigMap("big-5", fileCap-1024),
		}, []string{"apps/big-", "MaxTotalSize", "--max-render-size"}},
		{"more objects than the render allows", nil, map[string][]byte{
			"apps/many.yaml": manyConfigMaps(10001),
		}, []string{"apps/many.yaml", "MaxObjects"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.args...)
			s := newFaultScene(e, time.Hour, "caps-pw1-8a41f0", "caps-pw2-2be975", nil)
			s.change(tc.files)
			msg := e.waitFailed("apps", v1alpha1.ReasonRenderFailed)
			t.Logf("Ready message: %s", msg)
			for _, want := range tc.mention {
				if !strings.Contains(msg, want) {
					t.Errorf("Ready message %q does not say %q", msg, want)
				}
			}
			s.checkFirstIntact()

			removed := map[string][]byte{}
			for name := range tc.files {
				removed[name] = nil
			}
			s.second = e.commit("remove the files over the caps", removed)
			s.waitSecond()
		})
	}
}
