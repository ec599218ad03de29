package bench_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The agent bench's flags, after -args: go test ... -args -bench-sizes 1000.
var (
	benchSizes   = flag.String("bench-sizes", "1000,5000,10000", "comma-separated repository sizes (objects, the Namespace included) of BenchmarkAgentSync; the agent renders at most 10,000 objects a path")
	benchJSON    = flag.String("bench-json", "", "write BenchmarkAgentSync's table as JSON to this file")
	benchCompare = flag.String("bench-compare", "", "a JSON file an earlier run wrote: print each number's ratio to it")
	benchProfile = flag.String("bench-profile", "", "a directory: write the agent's CPU profiles of the first sync and of one-object changes, and its heap after the first sync, for the first size")
)

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 5 {
			return nil, fmt.Errorf("-bench-sizes %q: %q is not a size of at least 5", s, f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// benchReport is BenchmarkAgentSync's table, as -bench-json writes it.
type benchReport struct {
	Time      string     `json:"time"`
	GoVersion string     `json:"goVersion"`
	CPUs      int        `json:"cpus"`
	Rows      []benchRow `json:"rows"`
}

// benchRow is one repository size. Durations are in seconds.
type benchRow struct {
	Objects       int     `json:"objects"`
	BareApply     float64 `json:"bareApplySeconds"`
	FirstSync     float64 `json:"firstSyncSeconds"`
	FirstOverBare float64 `json:"firstSyncOverBare"`
	ChangeP50     float64 `json:"changeP50Seconds"`
	ChangeMax     float64 `json:"changeMaxSeconds"`
	Noop          float64 `json:"noopSeconds"`
	FirstWrites   int64   `json:"firstSyncWrites"`
	ChangeWrites  float64 `json:"changeWrites"` // per change
	NoopWrites    int64   `json:"noopWrites"`
	PeakMiB       float64 `json:"peakMiB"`
	PeakAnonMiB   float64 `json:"peakAnonMiB"` // anonymous memory, sampled
	SealCheckPct  float64 `json:"sealCheckPercentOfFirstSync"`
}

func newBenchReport() *benchReport {
	return &benchReport{Time: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUs: runtime.NumCPU()}
}

func (m agentMeasure) row(objects int, bare, sealcheck time.Duration) benchRow {
	change := sorted(m.change)
	return benchRow{
		Objects:       objects,
		BareApply:     bare.Seconds(),
		FirstSync:     m.first.Seconds(),
		FirstOverBare: m.first.Seconds() / bare.Seconds(),
		ChangeP50:     percentile(change, 50).Seconds(),
		ChangeMax:     change[len(change)-1].Seconds(),
		Noop:          m.noop.Seconds(),
		FirstWrites:   m.firstWrites,
		ChangeWrites:  float64(m.changeWrites) / float64(len(m.change)),
		NoopWrites:    m.noopWrites,
		PeakMiB:       float64(m.peakRSS) / (1 << 20),
		PeakAnonMiB:   float64(m.peakAnon) / (1 << 20),
		SealCheckPct:  100 * sealcheck.Seconds() / m.first.Seconds(),
	}
}

// print writes the table as the README shows it (Markdown), then each
// row's first sync per 1,000 objects against the smallest row's, which
// says whether the cost grows faster than linearly.
func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "seal-agent bench, %s, %d CPUs (changes: p50 and max of %d; writes: per sync)\n\n", r.Time, r.CPUs, changes)
	fmt.Fprintln(w, "| objects | bare apply | first sync | first / bare | one-object change p50 (max) | no-op resync | writes: first / change / no-op | peak agent RSS (anonymous) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s | %.2f s | %.2f s | %.2f× | %.2f s (%.2f s) | %.2f s | %d / %.0f / %d | %.0f MiB (%.0f MiB) |\n",
			thousands(row.Objects), row.BareApply, row.FirstSync, row.FirstOverBare, row.ChangeP50, row.ChangeMax,
			row.Noop, row.FirstWrites, row.ChangeWrites, row.NoopWrites, row.PeakMiB, row.PeakAnonMiB)
	}
	if len(r.Rows) > 1 {
		base := r.Rows[0]
		fmt.Fprintf(w, "\ngrowth against %s objects (1.00 = linear): ", thousands(base.Objects))
		var parts []string
		for _, row := range r.Rows[1:] {
			scale := float64(row.Objects) / float64(base.Objects)
			parts = append(parts, fmt.Sprintf("%s: first sync %.2f, change %.2f, no-op %.2f, memory %.2f", thousands(row.Objects),
				row.FirstSync/base.FirstSync/scale, row.ChangeP50/base.ChangeP50/scale, row.Noop/base.Noop/scale, row.PeakMiB/base.PeakMiB/scale))
		}
		fmt.Fprintln(w, strings.Join(parts, "; "))
	}
	fmt.Fprintln(w)
}

func (r *benchReport) write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("-bench-json %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("-bench-json %s: %w", path, err)
	}
	return nil
}

// compare prints, for each size both runs measured, this run's numbers
// as ratios to the earlier run's (below 1.00: faster or smaller now).
func (r *benchReport) compare(w io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("-bench-compare: %w", err)
	}
	var old benchReport
	if err := json.Unmarshal(data, &old); err != nil {
		return fmt.Errorf("-bench-compare %s: %w", path, err)
	}
	fmt.Fprintf(w, "against %s (%s): ratio new / old\n\n", path, old.Time)
	fmt.Fprintln(w, "| objects | first sync | first / bare | change p50 | no-op resync | peak agent RSS |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		i := slices.IndexFunc(old.Rows, func(o benchRow) bool { return o.Objects == row.Objects })
		if i < 0 {
			continue
		}
		o := old.Rows[i]
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", thousands(row.Objects),
			row.FirstSync/o.FirstSync, row.FirstOverBare/o.FirstOverBare, row.ChangeP50/o.ChangeP50, row.Noop/o.Noop, row.PeakMiB/o.PeakMiB)
	}
	fmt.Fprintln(w)
	return nil
}

// thousands writes n with commas: 10,001.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
