package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/seal-gitops/seal/keys"
)

// Columns of seal keys list: a table of files, then one of recipients.
var (
	keyFileColumns = []metav1.TableColumnDefinition{
		{Name: "File", Type: "string"},
		{Name: "Recipient", Type: "string"},
		{Name: "Rule", Type: "string"},
		{Name: "Status", Type: "string", Priority: 1},
	}
	keyColumns = []metav1.TableColumnDefinition{
		{Name: "Recipient", Type: "string"},
		{Name: "Files", Type: "integer"},
		{Name: "In Rules", Type: "string"},
		{Name: "Fingerprint", Type: "string", Priority: 1},
	}
	keyClusterColumns = append(slices.Clone(keyColumns[:3]), metav1.TableColumnDefinition{Name: "Cluster", Type: "string"}, keyColumns[3])
)

// printKeysTable writes the human form of seal keys list through printer,
// cli-runtime's table printer: one row per file and recipient (what each
// file opens for, flagged against its rule), then one row per recipient
// (how many files it opens, whether a rule still names it and, with
// --cluster-usage, whether the cluster uses it); then a summary on
// stderr, which scripts reading the rows do not want.
func printKeysTable(streams IO, printer printers.ResourcePrinter, r keysReport, wide bool) error {
	if len(r.Files) == 0 {
		fmt.Fprintln(streams.Err, "no encrypted files found")
		return nil
	}
	files := &metav1.Table{ColumnDefinitions: keyFileColumns}
	differ := 0
	for _, lf := range r.Files {
		if lf.Status == statusDiffers {
			differ++
		}
		for _, row := range fileRows(lf) {
			files.Rows = append(files.Rows, metav1.TableRow{Cells: []any{lf.File, row[0], row[1], lf.Status}})
		}
	}
	withCluster := r.cluster != nil
	recipients := &metav1.Table{ColumnDefinitions: keyColumns}
	if withCluster {
		recipients.ColumnDefinitions = keyClusterColumns
	}
	stale := 0
	for _, lr := range r.Recipients {
		inRules := "yes"
		if lr.Stale {
			inRules = "no: stale"
			stale++
		}
		cells := []any{keys.Short(lr.Recipient), lr.Count, inRules}
		if withCluster {
			cells = append(cells, clusterCell(lr.Cluster))
		}
		recipients.Rows = append(recipients.Rows, metav1.TableRow{Cells: append(cells, lr.Fingerprint)})
	}
	w := &stickyWriter{w: streams.Out}
	if err := printer.PrintObj(files, w); err != nil {
		return fmt.Errorf("printing the files: %w", err)
	}
	if len(recipients.Rows) > 0 {
		fmt.Fprintln(w)
		if err := printer.PrintObj(recipients, w); err != nil {
			return fmt.Errorf("printing the recipients: %w", err)
		}
	}
	if w.err != nil {
		return w.err
	}
	summary := fmt.Sprintf("%s, %s", countOf(len(r.Files), "encrypted file"), countOf(len(r.Recipients), "recipient"))
	switch {
	case differ == 1:
		summary += "; 1 file differs from its rule: run `seal keys rotate`"
	case differ > 1:
		summary += fmt.Sprintf("; %d files differ from their rules: run `seal keys rotate`", differ)
	}
	switch {
	case stale == 1:
		summary += "; 1 stale recipient no rule names"
	case stale > 1:
		summary += fmt.Sprintf("; %d stale recipients no rule names", stale)
	}
	if withCluster {
		summary += fmt.Sprintf("; cluster %s: %s read", r.cluster.Where, countOf(len(r.cluster.GitSyncs), "GitSync"))
		if n := len(r.cluster.NotSynced); n > 0 {
			summary += fmt.Sprintf(", %d never synced (%s)", n, strings.Join(r.cluster.NotSynced, ", "))
		}
	}
	fmt.Fprintln(streams.Err, summary)
	return nil
}

// printKeysObject prints r as a KeyList through printer (-o json, yaml,
// name, jsonpath=…).
func printKeysObject(out io.Writer, printer printers.ResourcePrinter, r keysReport) error {
	list := repoKeyList{keyList: keyList{APIVersion: outputAPIVersion, Kind: kindKeyList, Items: []keyItem{}}, Files: r.Files}
	if list.Files == nil {
		list.Files = []listedFile{}
	}
	for _, lr := range r.Recipients {
		k := newKeyItem(lr.Fingerprint)
		k.Recipient, k.Files, k.Stale, k.Cluster = lr.Recipient, lr.Files, lr.Stale, lr.Cluster
		list.Items = append(list.Items, k)
	}
	if r.cluster != nil {
		list.Cluster = newClusterRead(r.cluster)
	}
	obj, err := listObject(&list)
	if err != nil {
		return err
	}
	if err := printer.PrintObj(obj, out); err != nil {
		return fmt.Errorf("printing the keys: %w", err)
	}
	return nil
}

// clusterCell says whether the cluster uses a recipient, and where.
func clusterCell(c *recipientCluster) string {
	if c == nil || !c.Used {
		return "unused"
	}
	parts := make([]string, len(c.GitSyncs))
	for i, u := range c.GitSyncs {
		parts[i] = fmt.Sprintf("%s (%s)", u.GitSync, countOf(u.Files, "file"))
	}
	return "used by " + strings.Join(parts, ", ")
}

// fileRows returns the RECIPIENT and RULE cells of a file's rows.
func fileRows(lf listedFile) [][2]string {
	var state string
	switch lf.Status {
	case statusUpToDate, statusDiffers:
		state = "ok"
	case codeNoRule:
		state = "no creation rule covers the file"
	case codeUnmanagedRule:
		state = "its rule is not managed by seal"
	case codeInvalidConfig:
		state = "invalid " + keys.ConfigName
	default:
		return [][2]string{{"-", "unreadable: " + lf.Problem}}
	}
	removed := map[string]bool{}
	for _, r := range lf.Remove {
		removed[r] = true
	}
	var rows [][2]string
	for _, r := range lf.Recipients {
		s := state
		if removed[r] {
			s = "not in rule: rotation removes it"
		}
		rows = append(rows, [2]string{keys.Short(r), s})
	}
	for _, k := range lf.OtherKeys {
		s := state
		if lf.Status == statusDiffers {
			s = "not managed by seal: rotation removes it"
		}
		rows = append(rows, [2]string{"(" + k + " key)", s})
	}
	for _, r := range lf.Add {
		rows = append(rows, [2]string{keys.Short(r), "missing: rotation adds it"})
	}
	if len(rows) == 0 {
		rows = append(rows, [2]string{"-", state})
	}
	return rows
}
