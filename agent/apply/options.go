package apply

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	// DefaultFieldManager is the server-side apply field manager.
	DefaultFieldManager = "seal-agent"
	// DefaultConcurrency is how many requests run at once.
	DefaultConcurrency = 16
	// DefaultWaitTimeout bounds the wait for applied CRDs to be established.
	DefaultWaitTimeout = time.Minute

	// PruneAnnotation set to PruneDisabled keeps an object from being pruned.
	PruneAnnotation = "seal.dev/prune"
	// PruneDisabled is the PruneAnnotation value that disables pruning.
	PruneDisabled = "disabled"
)

// Options configure an Applier. Zero fields take the defaults of
// DefaultOptions; Labels is required.
type Options struct {
	// FieldManager owns the applied fields; ownership of fields is forced
	// (so drift is corrected), but objects of another owner are refused
	// first (see Labels). One per owner, e.g. seal/<namespace>/<name>.
	FieldManager string
	// LegacyFieldManagers are managers that applied this owner's objects
	// before (DefaultFieldManager, shared by every GitSync once); their
	// fields on objects carrying Labels move to FieldManager at the first
	// apply that writes the object.
	LegacyFieldManagers []string
	// Owner names this owner in HandOverAnnotation values, e.g.
	// "<namespace>/<name>" for a GitSync. Empty: no hand-over accepted.
	Owner string
	// DescribeOwner names another owner from its values of Labels' keys,
	// for errors; default: the labels as k=v.
	DescribeOwner func(labels map[string]string) string
	// Concurrency is the number of objects applied (or dry-run, listed,
	// deleted) at once.
	Concurrency int
	// TargetNamespace is set on namespaced objects that have no namespace.
	TargetNamespace string
	// Labels are set on every applied object, replacing labels of the same
	// key the object has. They select the live objects
	// for change detection and must all be present on an object for Prune
	// to delete it, so they must identify the owner (e.g. the GitSync's
	// name and namespace). A live object with the same keys and other
	// values belongs to another owner and is not applied.
	Labels map[string]string
	// AgentNamespace, if set, is a Namespace that Prune never deletes.
	AgentNamespace string
	// WaitTimeout bounds the wait for each sync's applied CRDs to be
	// established and served.
	WaitTimeout time.Duration
}

// DefaultOptions returns the defaults; the caller adds Labels.
func DefaultOptions() Options {
	return Options{
		FieldManager: DefaultFieldManager,
		Concurrency:  DefaultConcurrency,
		WaitTimeout:  DefaultWaitTimeout,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.FieldManager == "" {
		o.FieldManager = d.FieldManager
	}
	if o.Concurrency == 0 {
		o.Concurrency = d.Concurrency
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = d.WaitTimeout
	}
	if o.DescribeOwner == nil {
		o.DescribeOwner = describeLabels
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("option Concurrency %d: must be positive", o.Concurrency))
	}
	if o.WaitTimeout < 0 {
		errs = append(errs, fmt.Errorf("option WaitTimeout %s: must be positive", o.WaitTimeout))
	}
	if len(o.FieldManager) > 128 {
		errs = append(errs, fmt.Errorf("option FieldManager %q: longer than 128 characters", o.FieldManager))
	}
	if len(o.Labels) == 0 {
		errs = append(errs, errors.New("option Labels: at least one ownership label is required"))
	}
	for k, v := range o.Labels {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("option Labels: key %q: %s", k, strings.Join(msgs, "; ")))
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("option Labels: value %q of %s: %s", v, k, strings.Join(msgs, "; ")))
		}
	}
	if o.TargetNamespace != "" {
		if msgs := validation.IsDNS1123Label(o.TargetNamespace); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("option TargetNamespace %q: %s", o.TargetNamespace, strings.Join(msgs, "; ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("apply options: %w", err)
	}
	return nil
}

// describeLabels is "k=v, k=v" in key order.
func describeLabels(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ", ")
}
