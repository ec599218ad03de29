package health

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Object names one object to wait for.
type Object struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

func (o Object) String() string {
	s := o.GVK.Kind
	if o.GVK.Group != "" {
		s += "." + o.GVK.Group
	}
	if o.Namespace != "" {
		return s + " " + o.Namespace + "/" + o.Name
	}
	return s + " " + o.Name
}

// Error lists the objects that were not healthy when the wait ended.
type Error struct {
	// Unhealthy, sorted, each with kstatus's status and message.
	Unhealthy []Unhealthy
	// TimedOut: the context ended (else an object Failed).
	TimedOut bool
}

// Unhealthy is one object that did not become healthy.
type Unhealthy struct {
	Object Object
	Result Result
}

// maxNamed is how many unhealthy objects a message names.
const maxNamed = 10

func (e *Error) Error() string {
	var parts []string
	for i, u := range e.Unhealthy {
		if i == maxNamed {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Unhealthy)-maxNamed))
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %s: %s", u.Object, u.Result.Status, u.Result.Message))
	}
	when := "failed"
	if e.TimedOut {
		when = "not healthy when the timeout ran out"
	}
	return fmt.Sprintf("%d object(s) %s: %s", len(e.Unhealthy), when, strings.Join(parts, "; "))
}

// Checker waits for objects with one client (acting as the GitSync's
// service account, which needs list and watch on the kinds it applies).
type Checker struct {
	Client client.WithWatch
}

// group is one kind in one namespace: one list, then one watch.
type group struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// Wait returns nil once every object is Current; a *Error when one Failed
// or ctx ended first. waiting is called once, before the first watch, with
// a message naming what is awaited, and only when something is not healthy
// at once.
func (c *Checker) Wait(ctx context.Context, objects []Object, waiting func(msg string)) error {
	groups := map[group]map[string]Result{}
	for _, o := range objects {
		if settled[o.GVK.GroupKind()] {
			continue
		}
		g := group{o.GVK, o.Namespace}
		if groups[g] == nil {
			groups[g] = map[string]Result{}
		}
		groups[g][o.Name] = Result{Status: status.UnknownStatus, Message: "not read yet"}
	}
	versions := map[group]string{}
	for g, names := range groups {
		rv, err := c.read(ctx, g, names)
		if err != nil {
			return err
		}
		versions[g] = rv
	}
	if done, err := verdict(groups, false); done {
		return err
	}
	waiting(summary(groups))

	events := make(chan watchEvent)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for g, rv := range versions {
		if allCurrent(groups[g]) {
			continue
		}
		if err := c.watch(wctx, g, rv, events); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			_, err := verdict(groups, true)
			return err
		case ev := <-events:
			if ev.err != nil {
				return ev.err
			}
			names := groups[ev.group]
			if _, ok := names[ev.name]; !ok {
				continue
			}
			names[ev.name] = ev.result
			if done, err := verdict(groups, false); done {
				return err
			}
		}
	}
}

type watchEvent struct {
	group  group
	name   string
	result Result
	err    error
}

// watch sends the status of each object of g that changes after rv.
func (c *Checker) watch(ctx context.Context, g group, rv string, out chan<- watchEvent) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(g.gvk.GroupVersion().WithKind(g.gvk.Kind + "List"))
	w, err := c.Client.Watch(ctx, list, &client.ListOptions{Namespace: g.namespace, Raw: &metav1.ListOptions{ResourceVersion: rv}})
	if err != nil {
		return fmt.Errorf("watching %s to check health: %w", describe(g), err)
	}
	go func() {
		defer w.Stop()
		send := func(ev watchEvent) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.ResultChan():
				if !ok {
					// The server ended the watch (it does after a while):
					// start again from a fresh list.
					send(watchEvent{group: g, err: errWatchEnded})
					return
				}
				u, isObj := e.Object.(*unstructured.Unstructured)
				if !isObj {
					if e.Type == watch.Error {
						send(watchEvent{group: g, err: fmt.Errorf("watching %s: %w", describe(g), apierrors.FromObject(e.Object))})
						return
					}
					continue
				}
				res := compute(u)
				if e.Type == watch.Deleted {
					res = Result{Status: status.NotFoundStatus, Message: "deleted"}
				}
				if !send(watchEvent{group: g, name: u.GetName(), result: res}) {
					return
				}
			}
		}
	}()
	return nil
}

// errWatchEnded: the API server closed a watch before the wait was over.
var errWatchEnded = errors.New("the API server ended a health watch early; the next sync checks again")

// verdict: done when all are Current (nil) or one Failed; final (the
// context ended) reports every object not Current.
func verdict(groups map[group]map[string]Result, final bool) (bool, error) {
	var bad []Unhealthy
	failed := false
	for g, names := range groups {
		for name, r := range names {
			if r.Status == status.CurrentStatus {
				continue
			}
			failed = failed || r.Status == status.FailedStatus
			bad = append(bad, Unhealthy{Object: Object{GVK: g.gvk, Namespace: g.namespace, Name: name}, Result: r})
		}
	}
	if len(bad) == 0 {
		return true, nil
	}
	if !failed && !final {
		return false, nil
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].Object.String() < bad[j].Object.String() })
	return true, &Error{Unhealthy: bad, TimedOut: !failed}
}

func allCurrent(names map[string]Result) bool {
	for _, r := range names {
		if r.Status != status.CurrentStatus {
			return false
		}
	}
	return true
}

// summary names what the wait waits for.
func summary(groups map[group]map[string]Result) string {
	var waiting []string
	for g, names := range groups {
		for name, r := range names {
			if r.Status != status.CurrentStatus {
				waiting = append(waiting, Object{GVK: g.gvk, Namespace: g.namespace, Name: name}.String()+": "+r.Message)
			}
		}
	}
	sort.Strings(waiting)
	if len(waiting) > maxNamed {
		waiting = append(waiting[:maxNamed], fmt.Sprintf("and %d more", len(waiting)-maxNamed))
	}
	return fmt.Sprintf("Waiting for %d object(s) to become healthy: %s", len(waiting), strings.Join(waiting, "; "))
}

func describe(g group) string {
	s := g.gvk.Kind
	if g.gvk.Group != "" {
		s += "." + g.gvk.Group
	}
	if g.namespace != "" {
		return s + " in namespace " + g.namespace
	}
	return s
}
