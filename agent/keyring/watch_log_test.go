package keyring_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// TestWatchLogsAnOutageOnce makes every read of the key Secret fail for
// many intervals, as while the API server is down, then succeed again:
// Watch logs the failure once and its end once.
func TestWatchLogsAnOutageOnce(t *testing.T) {
	s, _ := store(t)
	if _, err := s.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	var reads atomic.Int64
	down.Store(true)
	live, err := client.NewWithWatch(testCluster.Config, client.Options{Scheme: testCluster.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	s.Client = interceptor.NewClient(live, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			reads.Add(1)
			if down.Load() {
				return errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
			}
			return c.Get(ctx, key, obj, opts...)
		},
	})
	var mu sync.Mutex
	var lines []string
	logger := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{})
	ctx, cancel := context.WithCancel(log.IntoContext(context.Background(), logger))
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, 10*time.Millisecond) }()
	waitReads := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); reads.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("Watch read the Secret %d times in 10s, want %d", reads.Load(), n)
			}
		}
	}
	waitReads(20)
	down.Store(false)
	waitReads(reads.Load() + 5)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v after cancel", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var failed, recovered int
	for _, l := range lines {
		failed += strings.Count(l, "connection refused")
		recovered += strings.Count(l, "read again")
	}
	if failed != 1 || recovered != 1 {
		t.Errorf("over 20 failed reads and the recovery, logged the failure %d times and the recovery %d times, want 1 and 1:\n%s",
			failed, recovered, strings.Join(lines, "\n"))
	}
}
