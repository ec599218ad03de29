package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/keys"
)

// keysRotateOptions are the flags and arguments of seal keys rotate.
type keysRotateOptions struct {
	kubeTarget    // with --cluster: kubectl's connection flags but its --cluster, which would clash
	Paths         []string
	Identities    []string
	oldIdentities []string // the deprecated -i
	NewDataKey    bool
	DryRun        bool
	Cluster       bool
	Namespace     string
	Timeout       time.Duration
}

func newKeysRotateCmd(f *Factory) *cobra.Command {
	opts := &keysRotateOptions{}
	cmd := &cobra.Command{
		Use:   "rotate [PATH...]",
		Short: "Re-wrap encrypted files for the recipients their .sops.yaml rule names now",
		Long: `Bring every encrypted file under PATH (files, or directories walked for
.yaml, .yml and .json files; default: the working directory) in line with
its creation rule in .sops.yaml (the one nearest the working directory, as
sops finds it): the file's data key is wrapped for exactly the recipients
the rule names now, so a key added to the rule can open the file and a key
dropped from it no longer can. The values and the MAC stay as they are.

A key that was dropped could still open any copy of the file made before
(Git history included): with --new-data-key the data key is replaced too and
every value re-encrypted, so later changes are safe from it. Rotate the
secrets themselves to be safe from what it could already read.

Opening a data key needs an identity that is a recipient of the file: the
identity files given with -i, else those sops finds (SOPS_AGE_KEY_FILE,
SOPS_AGE_KEY, sops' keys.txt). Files already in line with their rule are
skipped as up to date, without any key. Each file is replaced atomically, so
an interrupted rotation leaves every file wholly old or wholly new, and
running it again finishes the job. A file that fails does not stop the
others; the exit status is then 1, and each failure is named. A creation
rule that breaks the key policy of .sops.yaml (its seal section) is refused.

With --cluster, no file is touched: seal asks seal-agent for a new identity
(an annotation on its key Secret; the agent generates the key, so the
private key never leaves the cluster), waits until the agent publishes it
as the active recipient, and prints every published key with its state
(active, or retiring) and creation time. The agent decrypts with all of
them at once, without a restart.`,
		Example: `  # After adding a recipient to .sops.yaml, or removing one
  seal keys rotate

  # See what would change, without any key
  seal keys rotate --dry-run clusters/prod

  # A key was compromised: drop it from .sops.yaml, then
  seal keys rotate --new-data-key --identity ~/.config/seal/team.agekey

  # Ask the agent for a new key in the cluster
  seal keys rotate --cluster --context prod`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.Identities = takeOldIdentities(f, opts.Identities, opts.oldIdentities)
			if opts.Cluster {
				return runRotateCluster(cmd.Context(), f, opts)
			}
			if name := opts.changedKubeFlag(cmd.Flags()); name != "" {
				return usagef("--%s goes with --cluster: kubectl's connection flags name the cluster whose agent makes the new key", name)
			}
			if cmd.Flags().Changed("namespace") {
				return usagef("--namespace goes with --cluster")
			}
			return runKeysRotate(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	addIdentityFlag(fl, &opts.Identities, "identity `FILE` that opens the files (repeatable; default: where sops finds identities)", &opts.oldIdentities)
	fl.BoolVar(&opts.NewDataKey, "new-data-key", false, "also replace each file's data key and re-encrypt every value")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would change (files, recipients added and removed) and change nothing")
	fl.BoolVar(&opts.Cluster, "cluster", false, "ask seal-agent to generate a new identity in the cluster, and wait until it is published")
	opts.addKubeFlagsButCluster(fl)
	fl.StringVarP(&opts.Namespace, "namespace", "n", defaultAgentNamespace, "with --cluster: the `NAMESPACE` seal-agent runs in")
	fl.DurationVar(&opts.Timeout, "timeout", time.Minute, "with --cluster: how long to wait for the agent to publish the new key")
	return cmd
}

// runKeysRotate runs seal keys rotate.
func runKeysRotate(ctx context.Context, f *Factory, opts *keysRotateOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	files, err := collectAuditFiles(wd, opts.Paths)
	if err != nil {
		return err
	}
	rs := loadSopsRules(wd)
	plan := planRotation(files, rs, opts.NewDataKey)
	if len(plan) == 0 {
		fmt.Fprintln(f.IO.Out, "no encrypted files found")
		return nil
	}
	if rs.cfg == nil { // without rules there is nothing to bring files in line with
		if errors.Is(rs.err, keys.ErrNoConfig) {
			return withHint(rs.err, "rotation re-wraps files for the recipients of their creation rules; "+
				"`seal keys fetch --update-config PATH_REGEX` writes a rule with the cluster's key")
		}
		return withHint(rs.err, "fix %s so that sops can read it", rs.name())
	}
	pending, upToDate, _, _ := rotateCounts(plan)
	if opts.DryRun {
		if err := printPlan(f.IO.Out, plan, opts.NewDataKey); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.Out, "dry run: %s to rotate, %d up to date; nothing was changed\n", countOf(pending, "file"), upToDate)
		return rotateFailures(f, plan, "cannot be rotated", "fix the problems above before rotating: a rotation would leave these files as they are")
	}
	var ring *keys.Ring
	if pending > 0 { // files already up to date need no key
		if ring, err = loadRing(f, opts.Identities); err != nil {
			return err
		}
	}
	rotateFiles(ctx, f, plan, ring, opts.NewDataKey)
	_, upToDate, done, failed := rotateCounts(plan)
	fmt.Fprintf(f.IO.Out, "rotated %s, %d up to date, %d failed\n", countOf(done, "file"), upToDate, failed)
	return rotateFailures(f, plan, "not rotated", "fix the problems above and run seal keys rotate again: files already rotated are skipped as up to date")
}

// rotateFiles rewraps the pending files of plan, one at a time, each
// replaced atomically. Over progressMin files it shows progress as seal
// encrypt does: a bar on a terminal, after which the per-file lines follow
// so that the two do not mix; plain progress lines on stderr otherwise.
func rotateFiles(ctx context.Context, f *Factory, plan []*rotateItem, ring *keys.Ring, newDataKey bool) {
	pending, _, _, _ := rotateCounts(plan)
	prog := newProgress(f, "rotate", pending)
	var lines []string
	emit := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		if prog.bar != nil {
			lines = append(lines, line)
		} else {
			fmt.Fprintln(f.IO.Out, line)
		}
	}
	for _, it := range plan {
		switch it.state {
		case rotateUpToDate:
			emit("up to date  %s", it.file.Name)
			continue
		case rotateFailed:
			continue
		}
		if ctx.Err() != nil {
			it.fail(fmt.Errorf("%s: interrupted before it was rotated", it.file.Name))
			continue
		}
		if err := rotateOne(it, ring, newDataKey); err != nil {
			it.fail(err)
		} else if it.state == rotateDone {
			what := it.diff.summary()
			if newDataKey {
				what = strings.TrimSuffix("new data key; "+what, "; ")
			}
			emit("rotated     %s: %s", it.file.Name, what)
		} else {
			emit("up to date  %s", it.file.Name)
		}
		prog.step()
	}
	prog.finish()
	for _, l := range lines {
		fmt.Fprintln(f.IO.Out, l)
	}
}

// rotateOne rewraps one file and replaces it.
func rotateOne(it *rotateItem, ring *keys.Ring, newDataKey bool) error {
	out, changed, err := crypto.Rewrap(it.file.Name, it.file.Data, ring.AgeIdentities(), it.rule.Recipients, newDataKey)
	if err != nil {
		return wrongKeyHint(err, ring)
	}
	it.file.Data = nil
	if !changed {
		it.state = rotateUpToDate
		return nil
	}
	if err := atomicfile.WriteFile(it.file.Abs, out, 0o644); err != nil {
		return fmt.Errorf("%s: %w", it.file.Name, err)
	}
	it.state = rotateDone
	return nil
}

// rotateFailures prints each failed file's error and returns an error
// naming them all, nil when none failed.
func rotateFailures(f *Factory, plan []*rotateItem, what, hint string) error {
	var names []string
	for _, it := range plan {
		if it.state != rotateFailed {
			continue
		}
		names = append(names, it.file.Name)
		fmt.Fprintf(f.IO.Err, "seal: error: %v\n", it.err)
		var h hintError
		if errors.As(it.err, &h) {
			fmt.Fprintf(f.IO.Err, "seal: hint: %s\n", h.hint)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return withHint(fmt.Errorf("%s of %d %s: %s", countOf(len(names), "file"), len(plan), what, strings.Join(names, ", ")), "%s", hint)
}
