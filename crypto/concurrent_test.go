package crypto

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrent: the functions share no state, so the agent may decrypt
// many files at once (run with -race).
func TestConcurrent(t *testing.T) {
	xa, ha := loadKey(t, "x25519-a"), loadKey(t, "hybrid-a")
	plain := readFile(t, "testdata/plain/multi.yaml")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			k := []testKey{xa, ha}[i%2]
			enc, err := Encrypt("m.yaml", plain, EncryptOptions{Recipients: recipientsOf(xa, ha)})
			if err != nil {
				errs <- err
				return
			}
			d, err := Decrypt("m.yaml", enc, idsOf(k))
			if err != nil {
				errs <- err
				return
			}
			if diff := cmp.Diff(string(boundPlain(t, "multi.yaml")), string(d.Plaintext)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if _, err := Reencrypt("m.yaml", enc, append(d.Plaintext, "---\nkind: Secret\ndata:\n  a: Yg==\n"...), idsOf(k)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
