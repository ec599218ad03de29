package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/keys"
)

// diffOptions are the flags and arguments of seal diff.
type diffOptions struct {
	Identities    []string
	oldIdentities []string // the deprecated -i
	NoKey         bool
	Textconv      bool
	Revs          []string
	Paths         []string
}

func newDiffCmd(f *Factory) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff [REV [REV]] [-- PATH...]",
		Short: "Show what changed in sealed files between revisions, without printing a value",
		Long: `Show, for each sealed file that changed between two revisions of the Git
checkout, which values were added, removed or changed, which recipients
were added or removed, and the binding (seal.dev/sealed-for) of each
Secret. No value is ever printed.

With no REV it compares HEAD with the working tree; with one, REV with the
working tree; with two, the first with the second. Files not yet known to
Git are not compared.

No key is needed: a value whose ciphertext is unchanged is unchanged (seal
edit and seal keys rotate keep the ciphertext of every value they do not
change), so a file only re-wrapped for new recipients shows as such. When
a key opens both versions (-i FILE, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or
sops' keys.txt; --no-key to use none), a changed ciphertext is also told
apart: "changed" or "re-encrypted (same value)".

--textconv FILE prints one version of a file in a form for line diffs:
git diff and git log -p use it once seal git-setup has set it up.`,
		Example: `  # What the last commit changed in sealed files
  seal diff HEAD~1 HEAD

  # What is about to be committed, under clusters/prod
  seal diff -- clusters/prod

  # Make git diff and git log -p show sealed files this way
  seal git-setup`,
		Args: func(cmd *cobra.Command, args []string) error {
			revs, paths := args, []string(nil)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				revs, paths = args[:dash], args[dash:]
			}
			if opts.Textconv {
				if len(args) != 1 {
					return usagef("--textconv takes exactly one FILE, got %d arguments", len(args))
				}
				opts.Paths = args
				return nil
			}
			if len(revs) > 2 {
				return usagef("seal diff takes at most two revisions, got %d (put paths after --)", len(revs))
			}
			opts.Revs, opts.Paths = revs, paths
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Identities = takeOldIdentities(f, opts.Identities, opts.oldIdentities)
			if opts.Textconv {
				return runTextconv(f, opts)
			}
			return runDiff(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	addIdentityFlag(fl, &opts.Identities, identityFlagUsage, &opts.oldIdentities)
	fl.BoolVar(&opts.NoKey, "no-key", false, "use no key, even where one is found: compare ciphertexts only")
	fl.BoolVar(&opts.Textconv, "textconv", false, "print FILE in the form git's diff driver compares (see seal git-setup)")
	return cmd
}

// diffRing loads the identities to tell changed values from re-encrypted
// ones; none found is not an error.
func diffRing(f *Factory, opts *diffOptions) (*keys.Ring, error) {
	if opts.NoKey {
		return keys.NewRing(), nil
	}
	ring, err := loadRing(f, opts.Identities)
	if errors.Is(err, keys.ErrNoIdentity) && len(opts.Identities) == 0 {
		return keys.NewRing(), nil
	}
	return ring, err
}

// runDiff lists the files Git sees changed between the two versions and
// reports each sealed one.
func runDiff(ctx context.Context, f *Factory, opts *diffOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	root, ok := checkoutRoot(wd)
	if !ok {
		return withHint(fmt.Errorf("%s is not in a Git checkout", wd), "run seal diff inside the checkout of the repository")
	}
	ring, err := diffRing(f, opts)
	if err != nil {
		return err
	}
	oldRev, newRev := "HEAD", ""
	switch len(opts.Revs) {
	case 1:
		oldRev = opts.Revs[0]
	case 2:
		oldRev, newRev = opts.Revs[0], opts.Revs[1]
	}
	args := []string{"diff", "--name-only", "-z", "--no-renames", oldRev}
	if newRev != "" {
		args = append(args, newRev)
	}
	args = append(args, "--")
	for _, p := range opts.Paths {
		args = append(args, wdPath(wd, p))
	}
	out, err := gitOutput(ctx, root, args...)
	if err != nil {
		return err
	}
	w := &stickyWriter{w: f.IO.Out}
	others := 0
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		old, err := versionOf(ctx, root, oldRev, name, ring)
		if err != nil {
			return err
		}
		cur, err := versionOf(ctx, root, newRev, name, ring)
		if err != nil {
			return err
		}
		if old == nil && cur == nil {
			others++
			continue
		}
		reportSealedChange(w, relToWD(wd, filepath.Join(root, filepath.FromSlash(name))), old, cur)
	}
	if others > 0 {
		fmt.Fprintf(w, "(%d changed files are not sealed: git diff shows them)\n", others)
	}
	return w.err
}

// versionOf reads a file at rev ("" for the working tree) and loads it
// as a sealed file; nil when it does not exist there or is not sealed.
func versionOf(ctx context.Context, root, rev, name string, ring *keys.Ring) (*sealedFile, error) {
	var data []byte
	var err error
	label := name
	if rev == "" {
		data, err = os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	} else {
		label = rev + ":" + name
		data, err = gitOutput(ctx, root, "show", label)
		var missing gitMissingError
		if errors.As(err, &missing) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", label, err)
	}
	return loadSealedFile(name, data, ring)
}

// gitMissingError is git show's failure for a path a revision lacks.
type gitMissingError struct{ msg string }

func (e gitMissingError) Error() string { return e.msg }

// gitOutput runs git in dir and returns its stdout; git's own message
// names what went wrong (a bad revision, say).
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not exist in") || strings.Contains(msg, "exists on disk, but not in") {
			return nil, gitMissingError{msg}
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, withHint(fmt.Errorf("git %s: %s", strings.Join(args, " "), msg),
			"check the revisions: seal diff takes what git diff takes (a commit, a branch, a tag, HEAD~1)")
	}
	return out, nil
}
