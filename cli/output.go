package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// Output of the commands that list things (get gitsyncs, status, history
// gitsync, keys list, keys usage): the same -o values and --no-headers on
// each, printed by k8s.io/cli-runtime's printers as kubectl prints. The
// table is cli-runtime's too, except seal status's, which cuts MESSAGE to
// the terminal and redraws rows as a watch sees changes.

// listFormats are the -o values every listing command takes besides the
// table (no -o), in the order shell completion offers them.
var listFormats = []string{"wide", "json", "yaml", "name", "jsonpath=", "jsonpath-as-json=", "go-template="}

// listOutput binds the output flags of a listing command: -o (with
// cli-runtime's --template, --allow-missing-template-keys and
// --show-managed-fields) and --no-headers.
type listOutput struct {
	flags     *genericclioptions.PrintFlags
	noHeaders bool
	// legacy are older -o values that still mean the table, with a
	// deprecation warning (keys list -o text, history -o table).
	legacy []string
}

// addListOutput adds the output flags to cmd, with the completion of -o.
func addListOutput(cmd *cobra.Command, legacy ...string) *listOutput {
	o := &listOutput{flags: genericclioptions.NewPrintFlags(""), legacy: legacy}
	o.flags.AddFlags(cmd)
	fl := cmd.Flags()
	fl.Lookup("output").Usage = "output `FORMAT`: wide, json, yaml, name, jsonpath=…, jsonpath-as-json=…, go-template=… (default: a table)"
	fl.BoolVar(&o.noHeaders, "no-headers", false, "leave out the table's header line")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats(listFormats))
	return o
}

// format is the value of -o: "" for the table.
func (o *listOutput) format() string { return *o.flags.OutputFormat }

// isTable reports whether the output is a table: no -o, -o wide, or a
// legacy value.
func (o *listOutput) isTable() bool {
	f := o.format()
	return f == "" || f == "wide" || slices.Contains(o.legacy, f)
}

// wide reports whether the table has its wide columns.
func (o *listOutput) wide() bool { return o.format() == "wide" }

// objectPrinter checks the flags and returns the printer for the objects
// themselves, or nil for the table. A legacy -o value is warned about on
// errOut.
func (o *listOutput) objectPrinter(errOut io.Writer) (printers.ResourcePrinter, error) {
	format := o.format()
	if slices.Contains(o.legacy, format) {
		fmt.Fprintf(errOut, "seal: warning: -o %s is deprecated: the table is the default, without -o\n", format)
	}
	if o.isTable() {
		return nil, nil
	}
	if o.noHeaders {
		return nil, usagef("--no-headers applies only to the table (no -o, or -o wide), not to -o %s", format)
	}
	p, err := o.flags.ToPrinter()
	if genericclioptions.IsNoCompatiblePrinterError(err) {
		return nil, withHint(usagef("--output %q: unknown format", format),
			"use wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or go-template=TEMPLATE, or no -o for the table")
	}
	if err != nil {
		return nil, usagef("--output %s: %v", format, err)
	}
	return p, nil
}

// printer checks the flags and returns the printer they ask for: the
// object printer, or cli-runtime's table printer (with a NAMESPACE column
// when withNamespace).
func (o *listOutput) printer(errOut io.Writer, withNamespace bool) (printers.ResourcePrinter, error) {
	p, err := o.objectPrinter(errOut)
	if err != nil || p != nil {
		return p, err
	}
	return printers.NewTablePrinter(printers.PrintOptions{
		Wide: o.wide(), NoHeaders: o.noHeaders, WithNamespace: withNamespace,
	}), nil
}

// listObject is list, a struct with apiVersion, kind and items, as the
// unstructured list cli-runtime's printers take: -o name prints its
// items, -o json and yaml the whole of it, fields beside items included.
func listObject(list any) (*unstructured.UnstructuredList, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(list)
	if err != nil {
		return nil, fmt.Errorf("converting %T for output: %w", list, err)
	}
	out := &unstructured.UnstructuredList{Object: m, Items: []unstructured.Unstructured{}}
	items, _ := m["items"].([]any)
	delete(m, "items")
	for i, item := range items {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("converting %T for output: item %d is %T, not an object", list, i, item)
		}
		out.Items = append(out.Items, unstructured.Unstructured{Object: obj})
	}
	return out, nil
}
