package apply_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"github.com/go-logr/logr"
	"net/http"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/test/cluster"
)

// env is the package's one control plane, started by TestMain.
var env struct {
	c   *cluster.Cluster
	err error
	seq atomic.Int64
}

func TestMain(m *testing.M) {
	// envtest logs through controller-runtime; without a logger it warns
	// after 30 s in the middle of benchmark output.
	ctrllog.SetLogger(logr.Discard())
	env.c, env.err = cluster.Start(cluster.Options{})
	m.Run()
	if env.c != nil {
		env.c.Stop()
	}
}

func testCluster(tb testing.TB) *cluster.Cluster {
	tb.Helper()
	if env.err != nil {
		tb.Fatal(env.err)
	}
	return env.c
}

func namespace(tb testing.TB) string {
	tb.Helper()
	ns, err := testCluster(tb).Namespace(context.Background(), "apply")
	if err != nil {
		tb.Fatal(err)
	}
	return ns
}

// request is one HTTP request seen by a counter.
type request struct {
	method, path string
	dryRun       bool
	list         bool
}

// counter records the requests of a client.
type counter struct {
	mu   sync.Mutex
	reqs []request
}

func (c *counter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		c.mu.Lock()
		c.reqs = append(c.reqs, request{
			method: r.Method, path: r.URL.Path,
			dryRun: q.Get("dryRun") != "",
			list:   r.Method == http.MethodGet && q.Has("labelSelector"),
		})
		c.mu.Unlock()
		return rt.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = nil
}

func (c *counter) count(match func(request) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.reqs {
		if match(r) {
			n++
		}
	}
	return n
}

func isWrite(r request) bool { return r.method != http.MethodGet && r.method != http.MethodHead }

// writes counts POST, PUT, PATCH and DELETE requests, dry-runs included.
func (c *counter) writes() int { return c.count(isWrite) }

// realWrites counts the writes that are not dry-runs.
func (c *counter) realWrites() int {
	return c.count(func(r request) bool { return isWrite(r) && !r.dryRun })
}

func (c *counter) lists() int { return c.count(func(r request) bool { return r.list }) }

func (c *counter) total() int { return c.count(func(request) bool { return true }) }

// countedClient returns a new client (with its own REST mapper) whose
// requests are counted.
func countedClient(tb testing.TB) (client.Client, *counter) {
	tb.Helper()
	cnt := &counter{}
	cfg := rest.CopyConfig(testCluster(tb).Config)
	cfg.Wrap(cnt.wrap)
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return c, cnt
}

// ownerLabels returns labels unique to one test's applier.
func ownerLabels() map[string]string {
	return map[string]string{
		"seal.dev/gitsync-name":      fmt.Sprintf("sync-%d", env.seq.Add(1)),
		"seal.dev/gitsync-namespace": "seal-system",
	}
}

func newApplier(tb testing.TB, c client.Client, opts apply.Options) *apply.Applier {
	tb.Helper()
	if opts.Labels == nil {
		opts.Labels = ownerLabels()
	}
	a, err := apply.New(c, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func object(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	for k, v := range fields {
		u.Object[k] = v
	}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func configMap(ns, name string, data map[string]any) *unstructured.Unstructured {
	return object("v1", "ConfigMap", ns, name, map[string]any{"data": data})
}

func secret(ns, name string, data map[string]string) *unstructured.Unstructured {
	enc := map[string]any{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return object("v1", "Secret", ns, name, map[string]any{"data": enc})
}

func namespaceObject(name string) *unstructured.Unstructured {
	return object("v1", "Namespace", "", name, nil)
}

func deployment(ns, name string, replicas int64) *unstructured.Unstructured {
	labels := map[string]any{"app": name}
	return object("apps/v1", "Deployment", ns, name, map[string]any{"spec": map[string]any{
		"replicas": replicas,
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec": map[string]any{"containers": []any{
				map[string]any{"name": "app", "image": "registry.example/app:1"},
			}},
		},
	}})
}

// crd returns a namespaced CRD of kind Widget in group, whose spec.size
// must be an integer.
func crd(group string) *unstructured.Unstructured {
	return object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets."+group, map[string]any{"spec": map[string]any{
		"group": group,
		"scope": "Namespaced",
		"names": map[string]any{"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
		"versions": []any{map[string]any{
			"name": "v1", "served": true, "storage": true,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{
				"type": "object",
				"properties": map[string]any{"spec": map[string]any{
					"type":       "object",
					"properties": map[string]any{"size": map[string]any{"type": "integer"}},
				}},
			}},
		}},
	}})
}

func widget(group, ns, name string, size any) *unstructured.Unstructured {
	return object(group+"/v1", "Widget", ns, name, map[string]any{"spec": map[string]any{"size": size}})
}

// actions maps Ref.Short() to the action of each object in res.
func actions(res *apply.Result) map[string]apply.Action {
	m := map[string]apply.Action{}
	for _, o := range res.Objects {
		m[o.Ref.Short()] = o.Action
	}
	return m
}

// uniqueGroup returns an API group no other test uses.
func uniqueGroup() string {
	return fmt.Sprintf("g%d.seal-test.dev", env.seq.Add(1))
}

func refsShort(refs []apply.Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Short()
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })
