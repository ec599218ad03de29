package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/internal/atomicfile"
)

// gitSetupOptions are the flags of seal git-setup.
type gitSetupOptions struct {
	Command string
}

// gitAttributesLines route YAML files through the seal diff driver; its
// textconv prints files that are not sealed unchanged.
var gitAttributesLines = []string{"*.yaml diff=seal", "*.yml diff=seal"}

func newGitSetupCmd(f *Factory) *cobra.Command {
	opts := &gitSetupOptions{}
	cmd := &cobra.Command{
		Use:   "git-setup",
		Short: "Make git diff and git log -p show what changed in sealed files",
		Long: `Set up a diff driver in the Git checkout of the working directory, so
that git diff, git show and git log -p show sealed files as seal diff
--textconv prints them: one line per recipient and per value, each value
by a fingerprint of its ciphertext (and, with a key, a digest of its
value). A line diff then shows which values were added, removed or
changed and which recipients changed; never a value.

It adds to .gitattributes at the checkout's root (commit it, so that
everyone's Git uses the driver):
  ` + strings.Join(gitAttributesLines, "\n  ") + `
and sets in the checkout's own Git config (.git/config; each clone runs
seal git-setup once):
  diff.seal.textconv = COMMAND diff --textconv
Files that are not sealed go through unchanged. Running it again changes
nothing.`,
		Example: `  seal git-setup
  git add .gitattributes && git commit -m 'Review sealed files with seal diff'
  git log -p -- clusters/prod`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("seal git-setup takes only flags, got the argument %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGitSetup(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Command, "command", "seal", "how Git runs seal: a `COMMAND` on $PATH or a path")
	return cmd
}

func runGitSetup(ctx context.Context, f *Factory, opts *gitSetupOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	root, ok := checkoutRoot(wd)
	if !ok {
		return withHint(fmt.Errorf("%s is not in a Git checkout", wd), "run seal git-setup inside the checkout of the repository")
	}
	if strings.TrimSpace(opts.Command) == "" {
		return usagef("--command must not be empty")
	}
	out := &stickyWriter{w: f.IO.Out}
	attrs := filepath.Join(root, ".gitattributes")
	action, err := addGitAttributes(attrs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  %-10s %s (%s)\n", action, relToWD(wd, attrs), strings.Join(gitAttributesLines, ", "))
	want := opts.Command + " diff --textconv"
	have, _ := gitOutput(ctx, root, "config", "--local", "--get", "diff.seal.textconv")
	action = "unchanged"
	if strings.TrimSpace(string(have)) != want {
		if _, err := gitOutput(ctx, root, "config", "--local", "diff.seal.textconv", want); err != nil {
			return err
		}
		action = "set"
	}
	fmt.Fprintf(out, "  %-10s git config diff.seal.textconv %q\n", action, want)
	fmt.Fprintf(out, "git diff and git log -p now show sealed files by key; commit .gitattributes so that others get it too.\n")
	return out.err
}

// addGitAttributes appends the driver's lines that the file lacks and
// says what it did.
func addGitAttributes(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	action := "updated"
	if errors.Is(err, fs.ErrNotExist) {
		action = "created"
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	text := string(data)
	added := false
	for _, l := range gitAttributesLines {
		if have[l] {
			continue
		}
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += l + "\n"
		added = true
	}
	if !added {
		return "unchanged", nil
	}
	if err := atomicfile.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return action, nil
}
