package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// statusRow is one GitSync as the table shows it.
type statusRow struct {
	Namespace, Name, Source, Revision, Ready, Message string
	// Shown by -o wide.
	Path, Suspended, Attempted string
}

// gitSyncRow describes gs for the table. READY is the Ready condition's
// status for the current spec: "Unknown" before the first sync and while
// a changed spec waits for one, so that only a GitSync whose latest spec
// was applied counts as ready.
func gitSyncRow(gs *v1alpha1.GitSync) statusRow {
	row := statusRow{
		Namespace: gs.Namespace,
		Name:      gs.Name,
		Source:    gs.Spec.URL + "@" + refName(gs.Spec.Ref),
		Revision:  gs.Status.ShortRevision,
		Ready:     string(metav1.ConditionUnknown),
		Path:      gs.Spec.Path,
		Suspended: fmt.Sprint(gs.Spec.Suspend),
		Attempted: gs.Status.LastAttemptedRevision[:min(len(gs.Status.LastAttemptedRevision), v1alpha1.ShortRevisionLength)],
	}
	if row.Revision == "" {
		row.Revision = "-"
	}
	if row.Path == "" {
		row.Path = "."
	}
	if row.Attempted == "" {
		row.Attempted = "-"
	}
	ready := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	reconciling := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReconciling)
	switch {
	case ready != nil && ready.ObservedGeneration != 0 && ready.ObservedGeneration < gs.Generation:
		row.Message = "spec changed, waiting for seal-agent to sync it; last sync: " + ready.Message
	case ready != nil:
		row.Ready, row.Message = string(ready.Status), ready.Message
	case reconciling != nil && reconciling.Message != "":
		row.Message = reconciling.Message
	default:
		row.Message = "not synced yet: waiting for seal-agent"
	}
	if gs.Spec.Suspend {
		row.Message = "suspended; " + row.Message
	}
	row.Message = strings.Join(strings.Fields(row.Message), " ") // one line
	return row
}

// gitSyncReady reports whether the GitSync's current spec was applied.
func gitSyncReady(gs *v1alpha1.GitSync) bool {
	return gitSyncRow(gs).Ready == string(metav1.ConditionTrue)
}

// refName is the branch, tag or commit (shortened) a GitSync follows.
func refName(r v1alpha1.GitRef) string {
	r = r.OrDefault()
	switch {
	case r.Commit != "":
		return r.Commit[:min(len(r.Commit), v1alpha1.ShortRevisionLength)]
	case r.Tag != "":
		return r.Tag
	default:
		return r.Branch
	}
}

// minMessageWidth is the narrowest MESSAGE column: below it a message
// says nothing, so a narrow terminal wraps the line instead.
const minMessageWidth = 20

// columnGap separates the columns.
const columnGap = "  "

// statusTable prints rows with aligned columns. The widths are fixed by
// the first rows printed, so that the lines seal status -w adds later stay
// in the same columns (a longer cell pushes the rest of its line right).
// text/tabwriter cannot do that: it aligns only what it holds at once.
type statusTable struct {
	w io.Writer
	// namespaces adds the NAMESPACE column.
	namespaces bool
	// maxWidth is the terminal's width, which MESSAGE is cut to fit; 0
	// prints messages whole (output to a file or a pipe).
	maxWidth int
	// noHeaders leaves out the header line (--no-headers); wide adds the
	// columns of -o wide.
	noHeaders, wide bool
	widths          []int // of every column but MESSAGE; nil until the header
}

// printHeader fixes the column widths for rows and prints the header
// (unless noHeaders).
func (t *statusTable) printHeader(rows []statusRow) {
	header := t.cells(statusRow{Namespace: "NAMESPACE", Name: "NAME", Source: "URL@REF", Revision: "REVISION", Ready: "READY", Message: "MESSAGE",
		Path: "PATH", Suspended: "SUSPENDED", Attempted: "LAST-ATTEMPTED"})
	// Room for any revision and any READY value, so that later lines
	// keep to the columns.
	rev := strings.Repeat("0", v1alpha1.ShortRevisionLength)
	room := t.cells(statusRow{Revision: rev, Ready: string(metav1.ConditionUnknown), Suspended: "false", Attempted: rev})
	t.widths = make([]int, len(header)-1)
	for _, cells := range append([][]string{header, room}, t.allCells(rows)...) {
		for i := range t.widths {
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(cells[i]))
		}
	}
	if !t.noHeaders {
		fmt.Fprintln(t.w, t.line(header, false))
	}
}

// printRow prints one row, after the header.
func (t *statusTable) printRow(r statusRow) {
	fmt.Fprintln(t.w, t.format(r))
}

// format returns the line printed for r.
func (t *statusTable) format(r statusRow) string { return t.line(t.cells(r), true) }

func (t *statusTable) allCells(rows []statusRow) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = t.cells(r)
	}
	return out
}

func (t *statusTable) cells(r statusRow) []string {
	cells := []string{r.Name, r.Source, r.Revision, r.Ready, r.Message}
	if t.wide {
		cells = []string{r.Name, r.Source, r.Path, r.Revision, r.Attempted, r.Suspended, r.Ready, r.Message}
	}
	if t.namespaces {
		cells = append([]string{r.Namespace}, cells...)
	}
	return cells
}

// line pads every cell but the last to its column and cuts the last one
// (when cut is set) to what is left of the terminal's width.
func (t *statusTable) line(cells []string, cut bool) string {
	var b strings.Builder
	for i, c := range cells[:len(cells)-1] {
		b.WriteString(c)
		if pad := t.widths[i] - utf8.RuneCountInString(c); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(columnGap)
	}
	last := cells[len(cells)-1]
	if cut && t.maxWidth > 0 {
		last = truncate(last, max(t.maxWidth-utf8.RuneCountInString(b.String()), minMessageWidth))
	}
	b.WriteString(last)
	return b.String()
}

// truncate cuts s to n characters, the last one an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
