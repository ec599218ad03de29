package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// rotateState is where a file stands in a rotation.
type rotateState int

const (
	rotatePending  rotateState = iota // its keys differ from its rule (or a new data key was asked for)
	rotateUpToDate                    // nothing to do
	rotateDone                        // rewritten
	rotateFailed                      // could not be planned or rewritten
)

// rotateItem is one encrypted file of a rotation.
type rotateItem struct {
	file  auditFile
	rule  *keys.Rule
	diff  recipientDiff
	state rotateState
	err   error
}

// planRotation reads the encrypted files among files and decides what each
// needs. Files without SOPS metadata are left out. No key is needed: the
// recipients are read from the metadata.
func planRotation(files []auditFile, rs *sopsRules, newDataKey bool) []*rotateItem {
	var plan []*rotateItem
	for _, s := range files {
		it := &rotateItem{file: s}
		readErr := readAuditFile(&it.file)
		if !looksEncrypted(it.file.Data) {
			continue // plaintext, or unreadable with nothing saying it is encrypted
		}
		if readErr != nil {
			it.fail(readErr)
			plan = append(plan, it)
			continue
		}
		md, err := crypto.Inspect(s.Name, it.file.Data)
		if errors.Is(err, crypto.ErrNotEncrypted) {
			continue // a "sops" key that is not SOPS metadata
		}
		plan = append(plan, it)
		if err != nil {
			it.fail(err)
			continue
		}
		rule, err := rs.ruleFor(s.Abs)
		if err != nil {
			_, problem, fix := rs.ruleProblem(s.Name, err)
			it.fail(fmt.Errorf("%s: %s; %s", s.Name, problem, fix))
			continue
		}
		if rule.KeyGroups > 1 {
			it.fail(fmt.Errorf("%s: %s splits the data key over %d key groups (Shamir), which seal does not rotate; use `sops updatekeys`",
				s.Name, rs.ruleName(rule), rule.KeyGroups))
			continue
		}
		if err := rs.rulePolicyError(rule); err != nil {
			it.fail(fmt.Errorf("%s: %w", s.Name, err))
			continue
		}
		it.rule, it.diff = rule, diffRecipients(md, rule.Recipients)
		if it.diff.empty() && !newDataKey {
			it.state = rotateUpToDate
		}
	}
	return plan
}

func (it *rotateItem) fail(err error) {
	it.state, it.err, it.file.Data = rotateFailed, err, nil
}

// printPlan writes the dry-run plan: each file, and the recipients a
// rotation would add and remove.
func printPlan(out io.Writer, plan []*rotateItem, newDataKey bool) error {
	w := &stickyWriter{w: out}
	for _, it := range plan {
		switch it.state {
		case rotateUpToDate:
			fmt.Fprintf(w, "up to date     %s\n", it.file.Name)
		case rotateFailed:
			fmt.Fprintf(w, "cannot rotate  %s\n", it.file.Name)
		default:
			what := ""
			if newDataKey {
				what = " (new data key)"
			}
			fmt.Fprintf(w, "would rotate   %s%s\n", it.file.Name, what)
			for _, r := range it.diff.Add {
				fmt.Fprintf(w, "                 + %s\n", keys.Short(r))
			}
			for _, r := range it.diff.Remove {
				fmt.Fprintf(w, "                 - %s\n", keys.Short(r))
			}
			for _, k := range it.diff.Other {
				fmt.Fprintf(w, "                 - (%s key)\n", k)
			}
		}
	}
	return w.err
}

// rotateCounts tallies a plan.
func rotateCounts(plan []*rotateItem) (pending, upToDate, done, failed int) {
	for _, it := range plan {
		switch it.state {
		case rotatePending:
			pending++
		case rotateUpToDate:
			upToDate++
		case rotateDone:
			done++
		case rotateFailed:
			failed++
		}
	}
	return
}
