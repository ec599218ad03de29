package controller

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// The dependency stage runs before the source stage: a GitSync whose
// dependencies are not Ready fetches nothing (no load on the Git host, no
// pending commit status for a revision that is not going to be applied),
// and whether they are Ready does not depend on what it would fetch.

// maxDependencyWalk bounds how many GitSyncs one cycle search reads.
const maxDependencyWalk = 256

// dependencies checks spec.dependsOn. GitSyncs are read with read: in
// tenant mode as the GitSync's service account (so a GitSync may wait
// only for GitSyncs its account may get), else as the agent.
type dependencies struct {
	read func(ctx context.Context, key types.NamespacedName) (*v1alpha1.GitSync, error)
	as   string // the impersonated account, for messages; "" for the agent
}

// newDependencies reads as the record's service account when it has one,
// else from the agent's cache, falling back to uncached reads for
// GitSyncs the cache does not hold (another shard or namespace).
func newDependencies(cached, uncached client.Reader, rec *record) *dependencies {
	if rec != nil && rec.serviceAccount != "" {
		return &dependencies{read: readWith(rec.client), as: rec.serviceAccount}
	}
	fromCache, direct := readWith(cached), readWith(uncached)
	return &dependencies{read: func(ctx context.Context, key types.NamespacedName) (*v1alpha1.GitSync, error) {
		gs, err := fromCache(ctx, key)
		if err == nil {
			return gs, nil
		}
		return direct(ctx, key)
	}}
}

func readWith(r client.Reader) func(context.Context, types.NamespacedName) (*v1alpha1.GitSync, error) {
	return func(ctx context.Context, key types.NamespacedName) (*v1alpha1.GitSync, error) {
		var gs v1alpha1.GitSync
		if err := r.Get(ctx, key, &gs); err != nil {
			return nil, err
		}
		return &gs, nil
	}
}

// dependencyError is a dependency that is not Ready at its latest
// revision, missing, or not readable.
type dependencyError struct{ msg string }

func (e *dependencyError) Error() string { return e.msg }

// cycleError is a spec.dependsOn that leads back to the GitSync.
type cycleError struct{ cycle []types.NamespacedName }

func (e *cycleError) Error() string {
	names := make([]string, len(e.cycle))
	for i, k := range e.cycle {
		names[i] = k.String()
	}
	if len(e.cycle) == 2 {
		return fmt.Sprintf("spec.dependsOn names GitSync %s itself: remove it", names[0])
	}
	return "spec.dependsOn forms a cycle: " + strings.Join(names, " → ") + ": remove one of these dependencies"
}

// Check returns nil when every GitSync gs depends on is Ready at its
// latest revision, a *cycleError when its dependencies lead back to it, and
// a *dependencyError naming the first one not ready otherwise.
func (d *dependencies) Check(ctx context.Context, gs *v1alpha1.GitSync) error {
	self := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	if cycle := d.findCycle(ctx, gs); cycle != nil {
		return &cycleError{cycle: cycle}
	}
	for i, dep := range gs.Spec.DependsOn {
		key := dep.Key(gs.Namespace)
		field := fmt.Sprintf("spec.dependsOn[%d]", i)
		got, err := d.read(ctx, key)
		switch {
		case apierrors.IsNotFound(err):
			return &dependencyError{fmt.Sprintf("%s: GitSync %s not found", field, key)}
		case apierrors.IsForbidden(err) && d.as != "":
			return &dependencyError{fmt.Sprintf("%s: ServiceAccount %s/%s may not get GitSync %s (forbidden): grant it get on gitsyncs.seal.dev in namespace %s, or remove the dependency",
				field, self.Namespace, d.as, key, key.Namespace)}
		case err != nil:
			return &dependencyError{fmt.Sprintf("%s: reading GitSync %s: %v", field, key, err)}
		}
		if ok, why := got.ReadyAtLatest(); !ok {
			return &dependencyError{fmt.Sprintf("%s: GitSync %s is not ready: %s", field, key, why)}
		}
	}
	return nil
}

// findCycle searches depth first from gs for a path of dependencies back
// to gs, and returns it (starting and ending with gs) or nil. GitSyncs
// that cannot be read end their path; at most maxDependencyWalk are read.
// A cycle that does not pass through gs is left to its members to report:
// gs then waits on a dependency that is not ready.
func (d *dependencies) findCycle(ctx context.Context, gs *v1alpha1.GitSync) []types.NamespacedName {
	self := types.NamespacedName{Namespace: gs.Namespace, Name: gs.Name}
	seen := map[types.NamespacedName]bool{self: true}
	reads := 0
	var walk func(path []types.NamespacedName, deps []v1alpha1.DependencyReference, from string) []types.NamespacedName
	walk = func(path []types.NamespacedName, deps []v1alpha1.DependencyReference, from string) []types.NamespacedName {
		for _, dep := range deps {
			key := dep.Key(from)
			if key == self {
				return append(append([]types.NamespacedName{}, path...), self)
			}
			if seen[key] || reads >= maxDependencyWalk {
				continue
			}
			seen[key] = true
			reads++
			next, err := d.read(ctx, key)
			if err != nil {
				continue
			}
			if cycle := walk(append(path, key), next.Spec.DependsOn, key.Namespace); cycle != nil {
				return cycle
			}
		}
		return nil
	}
	return walk([]types.NamespacedName{self}, gs.Spec.DependsOn, gs.Namespace)
}
