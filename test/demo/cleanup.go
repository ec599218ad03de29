package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seal-gitops/seal/internal/atomicfile"
)

// cleanup undoes one thing the demo started and says what it did.
type cleanup func() (string, error)

// onCleanup registers undo to run at the end, before everything
// registered earlier.
func (d *demo) onCleanup(undo cleanup) { d.cleanups = append(d.cleanups, undo) }

// cleanUp runs every registered cleanup, newest first, even after one
// fails, and returns their errors joined.
func (d *demo) cleanUp() error {
	var errs []error
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		msg, err := d.cleanups[i]()
		if err != nil {
			d.say.say("%v", err)
			errs = append(errs, err)
			continue
		}
		if msg != "" {
			d.say.say("%s", msg)
		}
	}
	d.cleanups = nil
	return errors.Join(errs...)
}

// agentStopGrace is how long seal-agent may take to finish a sync and
// exit after SIGTERM before it is killed.
const agentStopGrace = 20 * time.Second

// stopAgent stops seal-agent gracefully, keeps its log in agent.log and
// checks that the log never held the demo's password or API key.
func (d *demo) stopAgent() (string, error) {
	exitedBefore := d.agent.Exited()
	start := time.Now()
	exitErr, killed := d.agent.Stop(agentStopGrace)
	out := d.agent.Output()
	var errs []error
	if err := atomicfile.WriteFile(filepath.Join(d.tmp, "agent.log"), []byte(out), 0o600); err != nil {
		errs = append(errs, fmt.Errorf("agent.log: %w", err))
	}
	var msg string
	switch {
	case killed:
		errs = append(errs, fmt.Errorf("seal-agent did not exit within %s of SIGTERM and was killed", agentStopGrace))
	case exitedBefore:
		msg = fmt.Sprintf("seal-agent had already exited (%v)", exitStatus(exitErr))
	case exitErr != nil:
		errs = append(errs, fmt.Errorf("seal-agent exited with %v after SIGTERM", exitErr))
	default:
		msg = fmt.Sprintf("stopped seal-agent: SIGTERM, it exited cleanly in %s", seconds(time.Since(start)))
	}
	if d.password != "" {
		lines := strings.Count(out, "\n")
		what := "the password"
		if d.apiKey != "" {
			what = "the password or the API key"
		}
		if strings.Contains(out, d.password) || (d.apiKey != "" && strings.Contains(out, d.apiKey)) {
			errs = append(errs, fmt.Errorf("seal-agent's log holds %s: plaintext must never reach a log", what))
		} else {
			msg += fmt.Sprintf("\n%sits log (%d lines) never mentions %s", evidenceIndent, lines, what)
		}
	}
	return msg, errors.Join(errs...)
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// removeScratch removes the scratch directory, or says where it was kept.
func (d *demo) removeScratch() (string, error) {
	if d.opts.keep {
		return fmt.Sprintf("kept %s (--keep): the work tree is in environment/, seal-agent's log in agent.log", d.tmp), nil
	}
	if err := os.RemoveAll(d.tmp); err != nil {
		return "", fmt.Errorf("removing %s: %w", d.tmp, err)
	}
	return "removed " + d.tmp, nil
}
