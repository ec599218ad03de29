package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// Output formats of check (keys list and keys usage still take -o text,
// deprecated, for their table).
const (
	outputText = "text"
	outputJSON = "json"
)

// validAuditOutput checks the value of -o.
func validAuditOutput(o string) error {
	if o != outputText && o != outputJSON {
		return usagef("-o %q: unknown output format; use text or json", o)
	}
	return nil
}

// checkReport is the JSON document of `seal check -o json`.
type checkReport struct {
	Checked  int       `json:"checked"`
	Findings []finding `json:"findings"`
}

// printFindings writes check's findings and summary to f.IO.Out.
func printFindings(f *Factory, format string, checked int, fs []finding) error {
	if format == outputJSON {
		if fs == nil {
			fs = []finding{}
		}
		return writeJSON(f.IO.Out, checkReport{Checked: checked, Findings: fs})
	}
	w := &stickyWriter{w: f.IO.Out}
	for _, x := range fs {
		if x.Notice {
			fmt.Fprintf(w, "%s:%d: notice: %s — %s\n", x.File, x.Line, x.Problem, x.Fix)
			continue
		}
		fmt.Fprintf(w, "%s:%d: %s — %s\n", x.File, x.Line, x.Problem, x.Fix)
	}
	fmt.Fprintln(w, checkSummary(checked, fs))
	return w.err
}

// checkSummary is the last line of check's text output.
func checkSummary(checked int, fs []finding) string {
	notices := ""
	if n := len(fs) - problems(fs); n > 0 {
		notices = ", " + countOf(n, "notice")
	}
	if problems(fs) == 0 {
		return fmt.Sprintf("checked %s: no problems%s", countOf(checked, "file"), notices)
	}
	files := map[string]bool{}
	for _, x := range fs {
		if !x.Notice {
			files[x.File] = true
		}
	}
	return fmt.Sprintf("checked %s: %s in %s%s", countOf(checked, "file"), countOf(problems(fs), "problem"), countOf(len(files), "file"), notices)
}

// countOf writes "1 file", "2 files".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// writeJSON writes v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON output: %w", err)
	}
	return nil
}

// stickyWriter remembers the first write error, so a run of Fprintf calls
// needs one check.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (e *stickyWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("writing output: %w", err)
	}
	return n, err
}
