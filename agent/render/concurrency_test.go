package render

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Renders may run from several reconciles at once (run with -race).
func TestConcurrentRenders(t *testing.T) {
	kust := mapFS(map[string]string{"kustomization.yaml": "resources: [cm.yaml, s.yaml]\nnamePrefix: p-\n", "cm.yaml": cmYAML, "s.yaml": fakeEnc("k", secretYAML)})
	plain := mapFS(map[string]string{"cm.yaml": cmYAML, "s.yaml": fakeEnc("k", secretYAML)})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		fsys := kust
		if i%2 == 1 {
			fsys = plain
		}
		wg.Go(func() {
			res, err := Render(context.Background(), fsys, fakeOptions(""))
			if err == nil && (len(res.Objects) != 2 || res.KeyUsage["k"] != 1) {
				err = errors.New("wrong result")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// A render waiting for another kustomize build gives up with its context.
func TestKustomizeWaitHonoursContext(t *testing.T) {
	buildSlot <- struct{}{} // as if another build were running
	defer func() { <-buildSlot }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	fsys := mapFS(map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": cmYAML})
	_, err := Render(ctx, fsys, fakeOptions(""))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want context.DeadlineExceeded", err)
	}
}
