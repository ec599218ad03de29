package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressMin is the smallest batch that shows progress: smaller ones
// finish before anyone would look.
const progressMin = 100

// progress reports a long batch on stderr: a schollz/progressbar bar,
// redrawn in place, when stderr is a terminal; otherwise (CI logs, pipes)
// a plain line at every tenth of the batch, which a log keeps readable.
type progress struct {
	bar   *progressbar.ProgressBar // nil when not on a terminal
	w     io.Writer                // plain lines; nil when quiet
	verb  string
	done  int
	total int
}

// newProgress starts reporting a batch of total items ("encrypt", "files").
// Batches under progressMin report nothing.
func newProgress(f *Factory, verb string, total int) *progress {
	p := &progress{verb: verb, total: total}
	switch {
	case total < progressMin:
	case f.IO.ErrTerminal:
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(f.IO.Err),
			progressbar.OptionSetDescription(verb),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("files"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		)
	default:
		p.w = f.IO.Err
	}
	return p
}

// step counts one item done.
func (p *progress) step() {
	p.done++
	switch {
	case p.bar != nil:
		_ = p.bar.Add(1)
	case p.w != nil:
		if p.done*10/p.total != (p.done-1)*10/p.total || p.done == p.total {
			fmt.Fprintf(p.w, "%s: %d/%d files (%d%%)\n", p.verb, p.done, p.total, p.done*100/p.total)
		}
	}
}

// finish clears the bar, so that the lines printed after it stand alone.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
