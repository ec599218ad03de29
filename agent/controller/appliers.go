package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
)

// appliers keeps one apply.Applier per GitSync: an Applier remembers what
// it applied, which is what lets a resync with nothing changed send no
// write request. A GitSync whose target namespace or service account
// changes gets a new one.
type appliers struct {
	config         *rest.Config
	scheme         *runtime.Scheme
	mapper         meta.RESTMapper
	workers        int
	agentNamespace string
	// defaultServiceAccount is impersonated when a GitSync names none.
	defaultServiceAccount string

	mu sync.Mutex
	m  map[types.NamespacedName]applierEntry
}

type applierEntry struct {
	uid     types.UID
	options string // what the Applier was built for
	applier *apply.Applier
	client  client.Client
}

// get returns the GitSync's Applier.
func (a *appliers) get(gs *v1alpha1.GitSync) (*apply.Applier, error) {
	e, err := a.entry(gs)
	return e.applier, err
}

// reader reads the Secrets a GitSync names: as its service account when
// it has one, so a GitSync cannot make the agent read (and send to a Git
// server) a Secret its own account may not read; else nil, meaning the
// agent's own reader.
func (a *appliers) reader(gs *v1alpha1.GitSync) (client.Reader, error) {
	if a.serviceAccount(gs) == "" {
		return nil, nil
	}
	e, err := a.entry(gs)
	return e.client, err
}

func (a *appliers) entry(gs *v1alpha1.GitSync) (applierEntry, error) {
	key := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	options := targetNamespace(gs) + "\x00" + a.serviceAccount(gs)
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.m[key]; ok && e.uid == gs.UID && e.options == options {
		return e, nil
	}
	c, err := a.client(gs)
	if err != nil {
		return applierEntry{}, err
	}
	opts := apply.DefaultOptions()
	opts.Concurrency = a.workers
	opts.TargetNamespace = targetNamespace(gs)
	opts.Labels = gs.OwnerLabels()
	opts.FieldManager = FieldManager(gs.Namespace, gs.Name)
	opts.LegacyFieldManagers = []string{apply.DefaultFieldManager}
	opts.Owner = gs.Namespace + "/" + gs.Name
	opts.DescribeOwner = describeGitSync
	opts.AgentNamespace = a.agentNamespace
	applier, err := apply.New(c, opts)
	if err != nil {
		return applierEntry{}, err
	}
	if a.m == nil {
		a.m = map[types.NamespacedName]applierEntry{}
	}
	e := applierEntry{uid: gs.UID, options: options, applier: applier, client: c}
	a.m[key] = e
	return e, nil
}

func (a *appliers) forget(key types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, key)
}

// client is an uncached client (applying needs no informers, and caching
// every kind would cost memory) acting as the agent, or as the GitSync's
// service account when spec.serviceAccountName is set.
func (a *appliers) client(gs *v1alpha1.GitSync) (client.Client, error) {
	cfg := rest.CopyConfig(a.config)
	if sa := a.serviceAccount(gs); sa != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: fmt.Sprintf("system:serviceaccount:%s:%s", gs.Namespace, sa)}
	}
	c, err := client.New(cfg, client.Options{Scheme: a.scheme, Mapper: a.mapper})
	if err != nil {
		return nil, fmt.Errorf("building the apply client: %w", err)
	}
	return c, nil
}

// serviceAccount is the account applies impersonate: the GitSync's own,
// else the agent's default, else none (the agent's own rights).
func (a *appliers) serviceAccount(gs *v1alpha1.GitSync) string {
	if gs.Spec.ServiceAccountName != "" {
		return gs.Spec.ServiceAccountName
	}
	return a.defaultServiceAccount
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
