package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/seal-gitops/seal/keys"
)

// printKeysTable writes the human form of seal keys list: one row per file
// and recipient (what each file opens for, flagged against its rule), then
// one row per recipient and file (what each key opens), then a summary.
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
	fmt.Fprintln(tw, "RECIPIENT\tOPENS")
	for _, lr := range r.Recipients {
		for _, file := range lr.Files {
			fmt.Fprintf(tw, "%s\t%s\n", keys.Short(lr.Recipient), file)
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
	fmt.Fprintln(w, summary)
	return w.err
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
