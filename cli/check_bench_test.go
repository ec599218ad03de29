package cli

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

// BenchmarkCheck measures seal check over a repository of 500 encrypted
// Secrets and 500 ConfigMaps, as CI runs it on every push.
func BenchmarkCheck(b *testing.B) {
	k := newAuditKey(b, keys.X25519, "A")
	dir := b.TempDir()
	auditWrite(b, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k}}))
	enc := auditEncrypt(b, "db.yaml", auditPlainSecret, k)
	for i := range 500 {
		auditWrite(b, filepath.Join(dir, fmt.Sprintf("secrets/%03d.yaml", i)), enc)
		auditWrite(b, filepath.Join(dir, fmt.Sprintf("apps/%03d.yaml", i)), auditConfigMap)
	}
	b.ResetTimer()
	for b.Loop() {
		f, _, errOut := testFactory(dir, nil, "")
		if code := run(b.Context(), f, []string{"check"}); code != ExitOK {
			b.Fatalf("exit %d: %s", code, errOut)
		}
	}
}
