package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/seal-gitops/seal/keys"
)

// printKeysTable writes the human form of seal keys list: one row per file
// and recipient (what each file opens for, flagged against its rule), then
// one row per recipient (how many files it opens, whether a rule still
// names it and, with --cluster-usage, whether the cluster uses it), then a
// summary.
// go.mod has no table library; text/tabwriter aligns the columns.
func printKeysTable(out io.Writer, r keysReport) error {
	w := &stickyWriter{w: out}
	if len(r.Files) == 0 {
		fmt.Fprintln(w, "no encrypted files found")
		return w.err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRECIPIENT\tRULE")
	differ := 0
	for _, lf := range r.Files {
		if lf.Status == statusDiffers {
			differ++
		}
		for _, row := range fileRows(lf) {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", lf.File, row[0], row[1])
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withCluster := r.cluster != nil
	if withCluster {
		fmt.Fprintln(tw, "RECIPIENT\tFILES\tIN RULES\tCLUSTER")
	} else {
		fmt.Fprintln(tw, "RECIPIENT\tFILES\tIN RULES")
	}
	stale := 0
	for _, lr := range r.Recipients {
		inRules := "yes"
		if lr.Stale {
			inRules = "no: stale"
			stale++
		}
		if withCluster {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", keys.Short(lr.Recipient), lr.Count, inRules, clusterCell(lr.Cluster))
		} else {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", keys.Short(lr.Recipient), lr.Count, inRules)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
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
	fmt.Fprintln(w, summary)
	return w.err
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
