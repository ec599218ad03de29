package render

import (
	"context"
	"fmt"
	"log"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// renderKustomize builds the kustomization in dir (a real path).
func renderKustomize(r *reader, dir, kfile string, res *Result) error {
	s := newScanner(r)
	if err := s.scanDir(dir); err != nil {
		return err
	}
	if err := s.checkWholeManifests(); err != nil {
		return err
	}
	a := newAdapter(r, s)
	m, err := build(r.ctx, a, virtual(dir), s.openAPI)
	if cerr := r.ctx.Err(); cerr != nil {
		// The build may still be running: leave the adapter alone.
		return fmt.Errorf("%s: %w", dir, cerr)
	}
	if a.fatal != nil {
		return a.fatal
	}
	if err != nil {
		return a.explain(dir, err)
	}
	resources := m.Resources()
	m.Clear()
	if err := r.lim.add(dir, len(resources)); err != nil {
		return err
	}
	res.Objects = make([]*unstructured.Unstructured, 0, len(resources))
	res.Sources = make([]string, 0, len(resources))
	for i, rs := range resources {
		resources[i] = nil // let each resource go once converted
		j, err := rs.MarshalJSON()
		if err != nil {
			return fmt.Errorf("%s: %w: cannot encode object %d", dir, ErrKustomize, i+1)
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(j, &obj); err != nil {
			return fmt.Errorf("%s: %w: cannot decode object %d", dir, ErrKustomize, i+1)
		}
		u := &unstructured.Unstructured{Object: obj}
		if err := checkObject(u); err != nil {
			return fmt.Errorf("%s: %w: object %d: %s", dir, ErrInvalidManifest, i+1, err)
		}
		res.Objects = append(res.Objects, u)
		res.Sources = append(res.Sources, kfile)
	}
	return nil
}

// buildSlot serializes builds: kustomize keeps the OpenAPI schema a
// kustomization may set in process-wide state (kyaml's openapi package), and
// build swaps the standard logger's output. Concurrent renders wait for the
// slot, or for their context to end.
var buildSlot = make(chan struct{}, 1)

// recovered carries a panic out of kustomize.
type recovered struct{ value any }

// build runs one kustomize build in the build slot. Kustomize cannot be
// interrupted, so it runs on its own goroutine: when ctx ends first, build
// returns at once and the build finishes in the background, failing at its
// next file access (the adapter checks ctx), and keeps the slot until then.
func build(ctx context.Context, fsys filesys.FileSystem, dir string, customSchema bool) (resmap.ResMap, error) {
	select {
	case buildSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type result struct {
		m   resmap.ResMap
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-buildSlot }()
		m, err := runKustomize(fsys, dir, customSchema)
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// runKustomize runs kustomize with plugins off and root-only loading.
// Kustomize logs resource values through the standard logger and sometimes
// calls log.Fatal, which would exit the agent; while it runs, that output
// goes to logGuard, which drops it and turns log.Fatal into a panic
// recovered here. A custom OpenAPI schema (customSchema true) would stay in
// kyaml's global state and change how later, unrelated renders merge
// patches, so it is reset before and after such a build, and after a panic.
func runKustomize(fsys filesys.FileSystem, dir string, customSchema bool) (m resmap.ResMap, err error) {
	prev := log.Writer()
	log.SetOutput(logGuard{})
	defer log.SetOutput(prev)
	if customSchema {
		openapi.ResetOpenAPI()
	}
	defer func() {
		p := recover()
		if p != nil {
			m, err = nil, &recovered{p}
		}
		if customSchema || p != nil {
			openapi.ResetOpenAPI()
		}
	}()
	k := krusty.MakeKustomizer(&krusty.Options{
		Reorder:          krusty.ReorderOptionLegacy,
		LoadRestrictions: types.LoadRestrictionsRootOnly,
		PluginConfig:     types.DisabledPluginConfig(),
	})
	return k.Run(fsys, dir)
}

func (r *recovered) Error() string { return fmt.Sprint(r.value) }

// logGuard drops standard-logger output during a build and panics when the
// writer is log.Fatal*, so the process does not exit.
type logGuard struct{}

func (logGuard) Write(p []byte) (int, error) {
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, "log.Fatal") || strings.HasPrefix(f.Function, "log.(*Logger).Fatal") {
			panic("kustomize called log.Fatal")
		}
		if !more {
			return len(p), nil
		}
	}
}

var (
	lineRef = regexp.MustCompile(`line \d+`)
)

// explain turns a kustomize failure into our error. Kustomize quotes
// resources in its messages, so when the build read decrypted or secret data
// the message is withheld: the error names those inputs, and the files and
// lines kustomize's message mentions.
func (a *adapter) explain(dir string, err error) error {
	msg := strings.ReplaceAll(strings.ReplaceAll(err.Error(), vroot+"/", ""), vroot, ".")
	_, panicked := err.(*recovered)
	if len(a.secrets) == 0 {
		if panicked {
			return fmt.Errorf("%s: %w: %w: %s", dir, ErrKustomize, ErrPanic, firstLine(msg, 300))
		}
		return fmt.Errorf("%s: %w: %s", dir, ErrKustomize, msg)
	}
	var named []string
	for f := range a.r.files {
		if strings.Contains(msg, f) {
			named = append(named, f)
		}
	}
	sort.Strings(named)
	named = append(named, lineRef.FindAllString(msg, 3)...)
	why := "message withheld because the build read secret data from " + list(a.secrets)
	if len(named) > 0 {
		why += "; it names " + strings.Join(named, ", ")
	}
	if panicked {
		return fmt.Errorf("%s: %w: %w (%s)", dir, ErrKustomize, ErrPanic, why)
	}
	return fmt.Errorf("%s: %w (%s)", dir, ErrKustomize, why)
}

// list names up to five files, sorted.
func list(files map[string]bool) string {
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	if len(names) > 5 {
		names = append(names[:5], fmt.Sprintf("%d more", len(names)-5))
	}
	return strings.Join(names, ", ")
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
