package cli

import (
	"fmt"

	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusPrinter prints what seal status sees, first the listing and then,
// with -w, each change; it remembers which GitSyncs shown are Ready.
type statusPrinter struct {
	f      *Factory
	out    *stickyWriter
	format string // table, json or yaml
	watch  bool
	single bool // a NAME was given: one object is printed alone, not in a List
	scope  statusScope
	table  *statusTable
	docs   int               // YAML documents printed, for the --- between them
	lines  map[string]string // table line last printed per GitSync
	ready  map[string]bool   // per GitSync shown and not deleted
}

func newStatusPrinter(f *Factory, opts *statusOptions, scope statusScope) *statusPrinter {
	out := &stickyWriter{w: f.IO.Out}
	return &statusPrinter{
		f: f, out: out, format: opts.Output, watch: opts.Watch, single: opts.Name != "", scope: scope,
		table: &statusTable{w: out, namespaces: scope.namespace == "", maxWidth: terminalWidth(f)},
		lines: map[string]string{}, ready: map[string]bool{},
	}
}

func gitSyncKey(gs *v1alpha1.GitSync) string { return gs.Namespace + "/" + gs.Name }

// initial prints the first listing.
func (p *statusPrinter) initial(items []*v1alpha1.GitSync) error {
	for _, gs := range items {
		p.ready[gitSyncKey(gs)] = gitSyncReady(gs)
	}
	switch {
	case p.format == "table" && len(items) == 0:
		what := "no GitSyncs found " + p.scope.where()
		if p.scope.name != "" {
			what = fmt.Sprintf("no GitSync %q found %s", p.scope.name, p.scope.where())
		}
		if p.watch {
			what += "; watching for changes"
		}
		fmt.Fprintln(p.f.IO.Err, what)
	case p.format == "table":
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
		list := gitSyncListOutput{APIVersion: "v1", Kind: "List", Items: make([]*v1alpha1.GitSync, len(items))}
		for i, gs := range items {
			list.Items[i] = forOutput(gs)
		}
		p.document(list)
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
	if p.format != "table" {
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

// gitSyncListOutput is the List -o json and -o yaml print, as kubectl does.
type gitSyncListOutput struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Items      []*v1alpha1.GitSync `json:"items"`
}

// object prints one GitSync as a JSON or YAML document.
func (p *statusPrinter) object(gs *v1alpha1.GitSync) { p.document(forOutput(gs)) }

func (p *statusPrinter) document(v any) {
	if p.out.err != nil {
		return
	}
	if p.format == "json" {
		p.out.err = writeJSON(p.out, v)
		return
	}
	data, err := yaml.Marshal(v)
	if err != nil {
		p.out.err = fmt.Errorf("encoding YAML output: %w", err)
		return
	}
	if p.docs > 0 {
		fmt.Fprintln(p.out, "---")
	}
	p.docs++
	p.out.Write(data)
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
