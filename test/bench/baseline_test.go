package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/test/cluster"
)

// bareApply is the floor the agent is measured against: decrypt in
// process, then server-side apply every object with 16 workers, the
// Namespace first, with no validation and no change detection. It returns
// the time taken and the write requests sent.
func bareApply(ctx context.Context, c *cluster.Cluster, files map[string][]byte, id age.Identity) (time.Duration, int64, error) {
	var writes atomic.Int64
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet {
				writes.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}
	cl, err := client.New(cfg, client.Options{})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, name := range names {
		data := files[name]
		if crypto.IsEncrypted(data) {
			d, err := crypto.Decrypt(name, data, []age.Identity{id})
			if err != nil {
				return 0, 0, err
			}
			data = d.Plaintext
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &u.Object); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		objs = append(objs, u)
	}
	apply := func(u *unstructured.Unstructured) error {
		return cl.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("bare"), client.ForceOwnership)
	}
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			if err := apply(u); err != nil {
				return 0, 0, err
			}
		}
	}
	work := make(chan *unstructured.Unstructured)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if err := apply(u); err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, u := range objs {
		if u.GetKind() != "Namespace" {
			work <- u
		}
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return 0, 0, fmt.Errorf("bare apply: %d errors, first: %s", len(errs), strings.SplitN(errs[0], "\n", 2)[0])
	}
	return time.Since(start), writes.Load(), nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
