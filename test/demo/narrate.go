package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// narrator prints the demo's story: numbered steps, one line per action,
// evidence indented below. Nothing else writes to the terminal; the
// programs the demo runs print into buffers and files.
type narrator struct {
	out, err io.Writer
}

func newNarrator(out, err io.Writer) *narrator { return &narrator{out: out, err: err} }

const (
	evidenceIndent = "     "
	blockIndent    = "         "
	lineWidth      = 110 // longer lines of files and tables are cut
)

func (n *narrator) line(s string) { fmt.Fprintln(n.out, s) }

// step announces step i.
func (n *narrator) step(i int, title string) {
	fmt.Fprintf(n.out, "\n%3d. %s\n", i, title)
}

// say prints one line of evidence under the current step.
func (n *narrator) say(format string, args ...any) {
	fmt.Fprintln(n.out, evidenceIndent+fmt.Sprintf(format, args...))
}

// command prints a command line as a person would type it: prog is the
// program's base name, args are quoted for a POSIX shell where needed.
func (n *narrator) command(prog string, args ...string) {
	parts := []string{filepath.Base(prog)}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	fmt.Fprintln(n.out, evidenceIndent+"$ "+strings.Join(parts, " "))
}

// block prints text (a file excerpt) indented under the step, each line
// cut to the width the demo assumes.
func (n *narrator) block(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(n.out, blockIndent+clip(l, lineWidth-len(blockIndent)))
	}
}

// output prints a program's output indented under the step, whole.
func (n *narrator) output(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(n.out, blockIndent+l)
	}
}

// failed reports why step i failed, in the story's flow; the closing
// line repeats it on stderr.
func (n *narrator) failed(i int, title string, err error) {
	fmt.Fprintf(n.out, "\nFAILED at step %d (%s):\n%s%v\n", i, title, evidenceIndent, err)
}

// clip cuts s to max runes, marking the cut with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// shortKey shows a long age recipient as its start and end.
func shortKey(r string) string {
	if len(r) <= 24 {
		return r
	}
	return r[:12] + "…" + r[len(r)-8:]
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// seconds formats d for a person: "4.2s", or "35ms" under a second.
func seconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// plural is "1 file" or "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tail is the last n lines of s.
func tail(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
