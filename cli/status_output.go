package cli

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusPrinter prints what seal status sees, first the listing and then,
// with -w, each change; it remembers which GitSyncs shown are Ready.
type statusPrinter struct {
	f       *Factory
	out     *stickyWriter
	format  string                   // "" (the table), wide, or a cli-runtime printer's
	printer printers.ResourcePrinter // for formats other than the table; nil for the table
	watch   bool
	single  bool // a NAME was given: one object is printed alone, not in a List
	scope   statusScope
	table   *statusTable
	lines   map[string]string // table line last printed per GitSync
	ready   map[string]bool   // per GitSync shown and not deleted
}

// newStatusPrinter checks the output flags and returns the printer they
// ask for.
func newStatusPrinter(f *Factory, opts *statusOptions, scope statusScope) (*statusPrinter, error) {
	out := &stickyWriter{w: f.IO.Out}
	p := &statusPrinter{
		f: f, out: out, format: opts.Out.format(), watch: opts.Watch, single: opts.Name != "", scope: scope,
		table: &statusTable{w: out, namespaces: scope.namespace == "", maxWidth: terminalWidth(f), noHeaders: opts.Out.noHeaders, wide: opts.Out.wide()},
		lines: map[string]string{}, ready: map[string]bool{},
	}
	printer, err := opts.Out.objectPrinter(f.IO.Err)
	if err != nil {
		return nil, err
	}
	p.printer = printer
	return p, nil
}

// isTable reports whether the output is seal's table.
func (p *statusPrinter) isTable() bool { return p.printer == nil }

func gitSyncKey(gs *v1alpha1.GitSync) string { return gs.Namespace + "/" + gs.Name }

// initial prints the first listing.
func (p *statusPrinter) initial(items []*v1alpha1.GitSync) error {
	for _, gs := range items {
		p.ready[gitSyncKey(gs)] = gitSyncReady(gs)
	}
	switch {
	case p.isTable() && len(items) == 0:
		what := "no GitSyncs found " + p.scope.where()
		if p.scope.name != "" {
			what = fmt.Sprintf("no GitSync %q found %s", p.scope.name, p.scope.where())
		}
		if p.watch {
			what += "; watching for changes"
		}
		fmt.Fprintln(p.f.IO.Err, what)
	case p.isTable():
		rows := make([]statusRow, len(items))
		for i, gs := range items {
			rows[i] = gitSyncRow(gs)
		}
		p.table.printHeader(rows)
		for i, gs := range items {
			p.lines[gitSyncKey(gs)] = p.table.format(rows[i])
			p.table.printRow(rows[i])
		}
	case p.watch:
		for _, gs := range items {
			p.object(gs)
		}
	case p.single && len(items) == 1:
		p.object(items[0])
	default:
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}}
		for _, gs := range items {
			u, err := toUnstructured(gs)
			if err != nil {
				return err
			}
			list.Items = append(list.Items, *u)
		}
		p.print(list)
	}
	return p.out.err
}

// event prints one change seen by the watch.
func (p *statusPrinter) event(typ watch.EventType, gs *v1alpha1.GitSync) {
	key := gitSyncKey(gs)
	row := gitSyncRow(gs)
	if typ == watch.Deleted {
		delete(p.ready, key)
		row.Ready, row.Message = "-", "deleted"
	} else {
		p.ready[key] = gitSyncReady(gs)
	}
	if !p.isTable() {
		p.object(gs)
		return
	}
	if p.table.widths == nil {
		p.table.printHeader([]statusRow{row})
	}
	line := p.table.format(row)
	if p.lines[key] == line {
		return // a change the table does not show (another status field)
	}
	p.lines[key] = line
	p.table.printRow(row)
}

// allReady reports whether every GitSync shown (and not deleted since) is
// Ready.
func (p *statusPrinter) allReady() bool {
	for _, ok := range p.ready {
		if !ok {
			return false
		}
	}
	return true
}

func (p *statusPrinter) err() error { return p.out.err }

// object prints one GitSync alone.
func (p *statusPrinter) object(gs *v1alpha1.GitSync) {
	u, err := toUnstructured(gs)
	if err != nil {
		if p.out.err == nil {
			p.out.err = err
		}
		return
	}
	p.print(u)
}

// print prints obj through the cli-runtime printer.
func (p *statusPrinter) print(obj runtime.Object) {
	if p.out.err != nil {
		return
	}
	if err := p.printer.PrintObj(obj, p.out); err != nil && p.out.err == nil {
		p.out.err = fmt.Errorf("printing -o %s: %w", p.format, err)
	}
}

// toUnstructured is gs for output, as the printers take it.
func toUnstructured(gs *v1alpha1.GitSync) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(forOutput(gs))
	if err != nil {
		return nil, fmt.Errorf("GitSync %s/%s: converting for output: %w", gs.Namespace, gs.Name, err)
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// forOutput is a copy of gs with its kind set (lists and watches leave it
// out) and without managedFields, which only matter to the API server.
func forOutput(gs *v1alpha1.GitSync) *v1alpha1.GitSync {
	out := gs.DeepCopy()
	out.APIVersion = v1alpha1.GroupVersion.String()
	out.Kind = v1alpha1.Kind
	out.ManagedFields = nil
	return out
}
