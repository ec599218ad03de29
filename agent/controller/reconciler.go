package controller

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/seal-gitops/seal/agent/alert"
	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/agent/apply"
	"github.com/seal-gitops/seal/agent/decryptcache"
	"github.com/seal-gitops/seal/agent/helm"
	"github.com/seal-gitops/seal/agent/keyring"
	"github.com/seal-gitops/seal/agent/notify"
	"github.com/seal-gitops/seal/agent/render"
	"github.com/seal-gitops/seal/agent/source"
)

// retryInterval bounds the wait before a failed sync is tried again,
// unless it is stalled: then retrying cannot help, and the next try waits
// for spec.interval (or a change of the spec).
const retryInterval = time.Minute

// dependencyRetryInterval bounds the wait before a GitSync whose
// dependencies were not ready checks them again. A dependency becoming
// Ready enqueues its dependants at once (dependencyWatch); this catches
// what the watch cannot see, such as a dependency in another shard.
const dependencyRetryInterval = 10 * time.Second

// unreachableRetryInterval is how soon a sync that could not reach the API
// server tries again: an apiserver restart takes seconds, and nothing
// else is wrong.
const unreachableRetryInterval = 10 * time.Second

// Config is what the reconciler needs from the agent.
type Config struct {
	RESTConfig     *rest.Config
	Scheme         *runtime.Scheme
	Mapper         meta.RESTMapper
	Fetcher        *source.Fetcher
	Keys           *keyring.Store
	Metrics        *Metrics
	AgentNamespace string
	// DefaultServiceAccount, when set, is impersonated (in the GitSync's
	// own namespace) by GitSyncs that name no spec.serviceAccountName, so
	// no GitSync applies with the agent's own rights.
	DefaultServiceAccount string
	// CommitStatusHosts are API hosts commit statuses may go to besides
	// the repository's host.
	CommitStatusHosts []string
	// AllowedNetworks may be reached although loopback, link-local or
	// metadata addresses.
	AllowedNetworks []netip.Prefix
	// ClusterName names the cluster in commit status contexts
	// (seal/<cluster>/<namespace>/<name>); "default" when empty.
	ClusterName   string
	ApplyWorkers  int
	MaxFileSize   int64
	MaxRenderSize int64
	Concurrency   int
	// DecryptCacheBytes bounds the opened SOPS files kept in memory
	// between syncs (decryptcache.DefaultMaxBytes when 0).
	DecryptCacheBytes int64
	// ParseCacheBytes bounds the decoded objects of unencrypted files kept
	// between syncs (render.DefaultParseCacheBytes when 0).
	ParseCacheBytes int64
}

// Reconciler syncs GitSyncs.
type Reconciler struct {
	Config
	Client    client.Client // cached: GitSyncs
	APIReader client.Reader // uncached: Secrets, which the agent does not watch
	Recorder  events.EventRecorder

	records *records
	// charts fetches and caches the charts of HelmRelease files from
	// chart repositories, dialling only what --allowed-networks allows.
	charts       *helm.Fetcher
	capabilities *capabilities
	interrupts   *interrupts
	// newPruner, when set (by tests), replaces the record's applier as
	// what deletes a deleted GitSync's objects.
	newPruner func(*v1alpha1.GitSync) (pruner, error)
	alerts    *alerts
	// opened remembers the SOPS files syncs opened, so a sync decrypts
	// only the files its commit changed (see agent/decryptcache).
	opened *decryptcache.Cache
	// parsed remembers the objects of unencrypted files, so a sync
	// decodes only the files its commit changed (render.ParseCache).
	parsed *render.ParseCache
}

// Setup builds the reconciler and registers it with mgr.
func Setup(mgr manager.Manager, cfg Config) error {
	r := New(cfg, mgr.GetClient(), mgr.GetAPIReader(), mgr.GetEventRecorder("seal-agent"))
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.GitSync{}, dependsOnIndex, indexDependsOn); err != nil {
		return fmt.Errorf("indexing GitSyncs by spec.dependsOn: %w", err)
	}
	return builder.ControllerManagedBy(mgr).
		For(&v1alpha1.GitSync{}, builder.WithPredicates(predicate.Or(
			interruptWaits(r.interrupts), // first: it only observes
			predicate.GenerationChangedPredicate{}, syncRequested(), deletionStarted()))).
		// A GitSync that becomes Ready enqueues those that depend on it.
		Watches(&v1alpha1.GitSync{}, handler.EnqueueRequestsFromMapFunc(dependants(mgr.GetClient())),
			builder.WithPredicates(becameReady())).
		WithOptions(controller.Options{MaxConcurrentReconciles: cfg.Concurrency, RateLimiter: failureBackoff()}).
		Complete(r)
}

// New builds a reconciler.
func New(cfg Config, c client.Client, apiReader client.Reader, recorder events.EventRecorder) *Reconciler {
	return &Reconciler{
		Config:    cfg,
		Client:    c,
		APIReader: apiReader,
		Recorder:  recorder,
		records: &records{
			config: cfg.RESTConfig, scheme: cfg.Scheme, mapper: cfg.Mapper,
			workers: cfg.ApplyWorkers, agentNamespace: cfg.AgentNamespace,
			defaultServiceAccount: cfg.DefaultServiceAccount,
			hosts:                 cfg.CommitStatusHosts, networks: cfg.AllowedNetworks,
			fetcher: cfg.Fetcher,
		},
		charts:       helm.NewFetcher(notify.AddressPolicy{Allowed: cfg.AllowedNetworks}.Client(), helm.Limits{MaxFileSize: cfg.MaxFileSize}),
		capabilities: &capabilities{config: cfg.RESTConfig},
		interrupts:   &interrupts{},
		alerts:       newAlerts(alert.Options{Addresses: notify.AddressPolicy{Allowed: cfg.AllowedNetworks}}),
		opened:       decryptcache.New(cfg.DecryptCacheBytes),
		parsed:       render.NewParseCache(cfg.ParseCacheBytes),
	}
}

// Reconcile syncs one GitSync and records the outcome with one status
// patch, sent only when the status changed: a resync where nothing changed
// writes nothing.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (result reconcile.Result, retErr error) {
	var gs v1alpha1.GitSync
	if err := r.Client.Get(ctx, req.NamespacedName, &gs); err != nil {
		if apierrors.IsNotFound(err) {
			return reconcile.Result{}, r.forget(ctx, req.NamespacedName)
		}
		return reconcile.Result{}, err
	}
	if !gs.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &gs)
	}
	if err := r.ensureFinalizer(ctx, &gs); err != nil {
		return reconcile.Result{}, err
	}
	base := gs.DeepCopy()
	defer func() {
		r.Metrics.state(&gs)
		if err := r.patchStatus(ctx, base, &gs); err != nil && retErr == nil {
			// The status did not get written: retry with the workqueue's
			// backoff rather than after the interval (controller-runtime
			// ignores a RequeueAfter returned with an error, and warns).
			result, retErr = reconcile.Result{}, err
		}
	}()
	gs.Status.ObservedGeneration = gs.Generation
	// The request this reconcile handles, recorded once it ends so that
	// whoever set the annotation (seal reconcile --wait) can tell.
	requested := gs.Annotations[v1alpha1.AnnotationSyncRequested]
	if len(requested) > v1alpha1.MaxSyncRequestLength {
		requested = "" // the status would refuse it, and no client sets one so long
	}
	if gs.Spec.Suspend {
		markSuspended(&gs)
		gs.Status.LastHandledSyncRequest = requested
		return reconcile.Result{}, nil
	}

	start := time.Now()
	log.FromContext(ctx).V(1).Info("sync started", "generation", gs.Generation)
	var o *Outcome
	rec, err := r.records.get(&gs)
	if err != nil {
		rec, o = nil, &Outcome{Err: classify(StageApply, err)}
	} else {
		s := r.stages(&gs, rec)
		s.Waiting = func(msg string) { r.markProgressing(ctx, base, msg) }
		o = s.Run(ctx, &gs)
	}
	r.record(ctx, &gs, o, time.Since(start))
	gs.Status.LastHandledSyncRequest = requested
	r.alert(ctx, readyStatus(base), &gs, o, rec)

	interval := gs.Spec.IntervalOrDefault()
	if (o.Err != nil && !o.Err.Stalled || o.NotifyErr != nil) && interval > retryInterval {
		interval = retryInterval
	}
	if o.Err != nil && o.Err.Reason == v1alpha1.ReasonDependencyNotReady && interval > dependencyRetryInterval {
		interval = dependencyRetryInterval
	}
	if o.Err != nil && o.Err.Stage == StageApply && apply.Unreachable(o.Err) && interval > unreachableRetryInterval {
		interval = unreachableRetryInterval
	}
	return reconcile.Result{RequeueAfter: interval}, nil
}

// stages are the agent's stages for gs, bound to its record.
func (r *Reconciler) stages(gs *v1alpha1.GitSync, rec *record) *Stages {
	sec := secrets{reader: r.APIReader}
	if rec.serviceAccount != "" {
		sec = secrets{reader: rec.client, as: rec.serviceAccount}
	}
	s := &Stages{
		Depends: newDependencies(r.Client, r.APIReader, rec),
		Source:  &gitSource{secrets: sec, fetcher: r.Fetcher, networks: r.AllowedNetworks},
		Verify:  &commitVerifier{secrets: sec},
		Render:  &renderer{secrets: sec, keys: r.Keys, maxFileSize: r.MaxFileSize, maxRenderSize: r.MaxRenderSize, charts: r.charts, capabilities: r.capabilities, opened: r.opened, parsed: r.parsed},
		Check:   sealChecker{},
		Apply:   rec.applier,
		Timeout: gs.Spec.TimeoutOrDefault(),
	}
	if gs.Spec.WaitEnabled() || len(gs.Spec.HealthChecks) > 0 {
		s.Health, s.HealthTimeout = newHealthStage(gs, rec, r.interrupts), gs.Spec.TimeoutOrDefault()
	}
	if gs.Spec.CommitStatus != nil {
		cfg := r.records.notifyConfig(gs, nil, nil)
		s.Source.(*gitSource).commitStatus = &cfg
		s.Notify = &commitNotifier{secrets: sec, record: rec, context: notify.StatusContext(r.clusterName(), gs.Namespace, gs.Name),
			config: func(username, token []byte) notify.Config { return r.records.notifyConfig(gs, username, token) }}
	}
	return s
}

// markProgressing tells, while the health stage waits, that the sync is
// in progress: Reconciling=True with reason Progressing. base becomes what
// was patched, so the final patch computes its difference from it.
func (r *Reconciler) markProgressing(ctx context.Context, base *v1alpha1.GitSync, msg string) {
	p := base.DeepCopy()
	setCondition(p, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonProgressing, msg)
	if err := r.Client.Status().Patch(ctx, p, client.MergeFrom(base)); err != nil {
		log.FromContext(ctx).Info("could not mark the GitSync Progressing", "error", err.Error())
		return
	}
	base.Status.Conditions = p.Status.Conditions
}

// forget drops what the reconciler keeps for a deleted GitSync: its
// record, clients, git cache and metrics.
func (r *Reconciler) forget(ctx context.Context, key types.NamespacedName) error {
	r.Metrics.forget(key.Namespace, key.Name)
	r.alerts.tracker.Forget(key.Namespace + "/" + key.Name)
	r.opened.Forget(key.Namespace, key.Name)
	return r.records.forget(ctx, key)
}

// patchStatus sends the status as a merge patch against what was read, and
// nothing when it did not change.
func (r *Reconciler) patchStatus(ctx context.Context, base, gs *v1alpha1.GitSync) error {
	patch := client.MergeFrom(base)
	data, err := patch.Data(gs)
	if err != nil {
		return err
	}
	if string(data) == "{}" {
		return nil
	}
	start := time.Now()
	if err := r.Client.Status().Patch(ctx, gs, patch); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	log.FromContext(ctx).V(1).Info("status patched", "bytes", len(data), "took", time.Since(start).String())
	return nil
}

// syncRequested passes updates that change the seal.dev/sync-requested
// annotation, so a user or a webhook can ask for a sync now.
func syncRequested() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			key := v1alpha1.AnnotationSyncRequested
			return e.ObjectOld.GetAnnotations()[key] != e.ObjectNew.GetAnnotations()[key]
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// deletionStarted passes the update that sets deletionTimestamp, so a
// deleted GitSync is finalized at once.
func deletionStarted() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp() == nil && e.ObjectNew.GetDeletionTimestamp() != nil
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
