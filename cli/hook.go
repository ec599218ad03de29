package cli

import (
	"bytes"
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

func newHookCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Manage the git pre-commit hook that runs seal check",
		Args:  commandGroupArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newHookInstallCmd(f))
	return cmd
}

// hookInstallOptions are the flags of seal hook install.
type hookInstallOptions struct {
	Force bool
}

func newHookInstallCmd(f *Factory) *cobra.Command {
	opts := &hookInstallOptions{}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install a git pre-commit hook that runs `seal check --staged`",
		Long: `Install a pre-commit hook in the current git repository that runs
` + "`seal check --staged`" + ` before each commit, so a Secret staged in plaintext, or
an encrypted file that is stale or damaged, never gets committed.

The hook goes where git looks for hooks: core.hooksPath when it is set,
else .git/hooks. It finds seal on PATH when it runs, and says how to
install it when it is missing. Installing again updates a hook seal wrote;
a pre-commit hook written by someone else is left alone unless --force is
given (it is then kept as pre-commit.seal-backup).

With the pre-commit framework (pre-commit.com), use the seal-check hook of
this repository's .pre-commit-hooks.yaml instead.`,
		Example: `  # In the repository holding your manifests
  seal hook install

  # Replace a pre-commit hook another tool wrote
  seal hook install --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHookInstall(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace a pre-commit hook that seal did not write (keeping it as pre-commit.seal-backup)")
	return cmd
}

// runHookInstall writes the pre-commit hook.
func runHookInstall(ctx context.Context, f *Factory, opts *hookInstallOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	out, err := runGit(ctx, wd, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return withHint(fmt.Errorf("%s: not inside a git repository: %w", wd, err),
			"run seal hook install inside the repository that holds your manifests")
	}
	dir := wdPath(wd, strings.TrimSpace(string(out)))
	path := filepath.Join(dir, "pre-commit")
	name := relToWD(wd, path)

	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return fmt.Errorf("%s: reading the existing hook: %w", name, unwrapPathError(err))
	}
	verb := "installed"
	switch {
	case old == nil:
	case bytes.Equal(old, []byte(hookScript)):
		fmt.Fprintf(f.IO.Out, "the pre-commit hook %s is installed and up to date\n", name)
		warnSealNotOnPath(f)
		return nil
	case isSealHook(old):
		verb = "updated"
	case !opts.Force:
		return withHint(fmt.Errorf("%s: a pre-commit hook that seal did not write is already there; not replacing it", name),
			"pass --force to replace it (it is kept as %s.seal-backup), or add `seal check --staged` to it yourself", name)
	default:
		if err := os.Rename(path, path+".seal-backup"); err != nil {
			return fmt.Errorf("%s: keeping the old hook: %w", name, unwrapPathError(err))
		}
		fmt.Fprintf(f.IO.Err, "seal: kept the previous hook as %s.seal-backup\n", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", relToWD(wd, dir), unwrapPathError(err))
	}
	if err := atomicfile.WriteFile(path, []byte(hookScript), 0o755); err != nil {
		return err
	}
	// An existing file keeps its mode through WriteFile; a hook must be executable.
	if err := os.Chmod(path, 0o755); err != nil {
		return fmt.Errorf("%s: making it executable: %w", name, unwrapPathError(err))
	}
	fmt.Fprintf(f.IO.Out, "%s the pre-commit hook %s: each commit now runs `seal check --staged`\n", verb, name)
	warnSealNotOnPath(f)
	return nil
}

// warnSealNotOnPath warns when the hook will not find seal.
func warnSealNotOnPath(f *Factory) {
	if findOnPath("seal", f.Getenv("PATH")) == "" {
		fmt.Fprintln(f.IO.Err, "seal: warning: seal is not on PATH, and the hook needs it there: commits will be refused until it is")
		fmt.Fprintln(f.IO.Err, "seal: hint: go install github.com/seal-gitops/seal/cmd/seal@latest, and put $(go env GOPATH)/bin on PATH")
	}
}
