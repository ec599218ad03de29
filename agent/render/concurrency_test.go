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

// blockingDecryptor stands for a build that takes long: it waits for
// release before decrypting.
type blockingDecryptor struct {
	started chan struct{}
	release chan struct{}
}

func (d blockingDecryptor) Decrypt(name string, data []byte, whole bool) (*Decrypted, error) {
	close(d.started)
	<-d.release
	return fakeDecryptor{}.Decrypt(name, data, whole)
}

// A cancelled context ends Render while kustomize is still busy; the build
// finishes in the background and the next render runs normally.
func TestKustomizeCancelDuringBuild(t *testing.T) {
	fsys := mapFS(map[string]string{"kustomization.yaml": "resources: [s.yaml]\n", "s.yaml": fakeEnc("k", secretYAML)})
	d := blockingDecryptor{started: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	opts := fakeOptions("")
	opts.Decryptor = d
	// The scanner reads no resources, so the first decryption happens
	// inside kustomize.
	errc := make(chan error, 1)
	go func() { _, err := Render(ctx, fsys, opts); errc <- err }()
	<-d.started
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Render did not return after its context was cancelled")
	}
	close(d.release)
	res, err := Render(context.Background(), fsys, fakeOptions(""))
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("next render: %v", err)
	}
}
