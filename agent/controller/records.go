package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/notify"
	"github.com/seal-gitops/seal/agent/source"
)

// records keeps one record per GitSync. A GitSync whose target namespace
// or service account changes, or that is deleted and created again, gets a
// new one.
type records struct {
	config         *rest.Config
	scheme         *runtime.Scheme
	mapper         meta.RESTMapper
	workers        int
	agentNamespace string
	// defaultServiceAccount is impersonated when a GitSync names none.
	defaultServiceAccount string
	hosts                 []string       // commit status hosts allowed besides the Git host
	networks              []netip.Prefix // allowed despite loopback, link-local, metadata
	fetcher               *source.Fetcher

	mu sync.Mutex
	m  map[types.NamespacedName]*record
}

// record is what the agent keeps for one GitSync between reconciles: its
// client (acting as its service account), its Applier (which remembers
// what it applied, so a resync with nothing changed sends no write), its
// commit status notifier (which remembers what it posted) and, in the
// Fetcher, its git cache. forget frees all of them.
type record struct {
	uid            types.UID
	options        string // what client and applier were built for
	serviceAccount string // impersonated; "" for the agent's own rights
	client         client.WithWatch
	applier        *apply.Applier

	mu             sync.Mutex
	notifierConfig [32]byte // hash of what notifier was built from
	notifier       *notify.Notifier
	// open is the revision whose pending commit status was posted (or
	// tried) and that has no final state yet; unposted are final states
	// the Git host did not take, oldest first, posted on the next sync.
	open     string
	unposted []notify.Status
}

// get returns the GitSync's record, building it when needed.
func (rs *records) get(gs *v1alpha1.GitSync) (*record, error) {
	key := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	sa := rs.serviceAccount(gs)
	options := targetNamespace(gs) + "\x00" + sa
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rec, ok := rs.m[key]; ok && rec.uid == gs.UID && rec.options == options {
		return rec, nil
	}
	c, err := rs.client(gs, sa)
	if err != nil {
		return nil, err
	}
	opts := apply.DefaultOptions()
	opts.Concurrency = rs.workers
	opts.TargetNamespace = targetNamespace(gs)
	opts.Labels = gs.OwnerLabels()
	opts.FieldManager = FieldManager(gs.Namespace, gs.Name)
	opts.LegacyFieldManagers = []string{apply.DefaultFieldManager}
	opts.Owner = gs.Namespace + "/" + gs.Name
	opts.DescribeOwner = describeGitSync
	opts.AgentNamespace = rs.agentNamespace
	applier, err := apply.New(c, opts)
	if err != nil {
		return nil, err
	}
	if rs.m == nil {
		rs.m = map[types.NamespacedName]*record{}
	}
	rec := &record{uid: gs.UID, options: options, serviceAccount: sa, client: c, applier: applier}
	rs.m[key] = rec
	return rec, nil
}

// forget drops the GitSync's record and removes its git cache.
func (rs *records) forget(ctx context.Context, key types.NamespacedName) error {
	rs.mu.Lock()
	delete(rs.m, key)
	rs.mu.Unlock()
	if rs.fetcher == nil {
		return nil
	}
	return rs.fetcher.Remove(ctx, cacheKey(key))
}

// cacheKey names a GitSync's entry in the git cache.
func cacheKey(key types.NamespacedName) string { return key.Namespace + "/" + key.Name }

// client is an uncached client (applying needs no informers, and caching
// every kind would cost memory) acting as the agent, or as sa.
func (rs *records) client(gs *v1alpha1.GitSync, sa string) (client.WithWatch, error) {
	cfg := rest.CopyConfig(rs.config)
	if sa != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", gs.Namespace, sa)}
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: rs.scheme, Mapper: rs.mapper})
	if err != nil {
		return nil, fmt.Errorf("building the apply client: %w", err)
	}
	return c, nil
}

// serviceAccount is the account applies impersonate: the GitSync's own,
// else the agent's default, else none (the agent's own rights).
func (rs *records) serviceAccount(gs *v1alpha1.GitSync) string {
	if gs.Spec.ServiceAccountName != "" {
		return gs.Spec.ServiceAccountName
	}
	return rs.defaultServiceAccount
}

// notifier returns the record's commit status notifier for token, built
// again when the spec or the token changed.
func (rec *record) notifierFor(cfg notify.Config) (*notify.Notifier, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%s\x00%s", cfg.Provider, cfg.APIURL, cfg.RepoURL, cfg.Username, cfg.Token))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.notifier != nil && rec.notifierConfig == sum {
		return rec.notifier, nil
	}
	n, err := notify.New(cfg)
	if err != nil {
		return nil, err
	}
	rec.notifier, rec.notifierConfig = n, sum
	return n, nil
}

// notifyConfig is where gs's commit statuses go, under the agent's host
// rules.
func (rs *records) notifyConfig(gs *v1alpha1.GitSync, username, token []byte) notify.Config {
	cs := gs.Spec.CommitStatus
	return notify.Config{
		Provider: cs.Provider, RepoURL: gs.Spec.URL, APIURL: cs.APIURL, Username: string(username), Token: string(token),
		AllowedHosts: rs.hosts, Addresses: notify.AddressPolicy{Allowed: rs.networks},
	}
}

// FieldManager is the server-side apply field manager of the GitSync
// namespace/name: seal/<namespace>/<name>, readable in managedFields. The
// API server allows 128 characters; a longer one (two names near their
// 63-character limits) keeps its start and ends in a hash of the whole.
func FieldManager(namespace, name string) string {
	m := "seal/" + namespace + "/" + name
	if len(m) <= 128 {
		return m
	}
	sum := sha256.Sum256([]byte(m))
	return m[:128-17] + "-" + hex.EncodeToString(sum[:8])
}

// describeGitSync names the GitSync whose owner labels these are.
func describeGitSync(labels map[string]string) string {
	return fmt.Sprintf("GitSync %s/%s", labels[v1alpha1.LabelGitSyncNamespace], labels[v1alpha1.LabelGitSyncName])
}

// targetNamespace is where namespaced objects without a namespace go:
// spec.targetNamespace, else the GitSync's own namespace.
func targetNamespace(gs *v1alpha1.GitSync) string {
	if gs.Spec.TargetNamespace != "" {
		return gs.Spec.TargetNamespace
	}
	return gs.Namespace
}
