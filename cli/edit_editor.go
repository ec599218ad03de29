package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/shlex"
)

// editorWaitDelay bounds the wait for an editor's output after it exits or
// is killed (a child it started may hold the pipes open).
const editorWaitDelay = 2 * time.Second

// editInTemp writes plaintext to a file in a new private directory, runs
// the editor on it and returns what the editor left there. The directory
// is removed before it returns, whatever happened; a cancelled ctx (SIGINT,
// SIGTERM) kills the editor.
func editInTemp(ctx context.Context, f *Factory, name string, plaintext []byte) (edited []byte, err error) {
	argv, err := editorCommand(f)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "seal-edit-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("%s: making a private temporary directory: %w", name, err)
	}
	defer func() {
		if rmErr := os.RemoveAll(dir); rmErr != nil && err == nil {
			edited, err = nil, fmt.Errorf("%s: removing the temporary directory %s (remove it yourself, it holds plaintext): %w", name, dir, rmErr)
		}
	}()
	tmp := filepath.Join(dir, tempBase(name))
	if err := writePrivate(tmp, plaintext); err != nil {
		return nil, fmt.Errorf("%s: writing the temporary copy: %w", name, err)
	}

	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], tmp)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f.IO.In, f.IO.Out, f.IO.Err
	cmd.WaitDelay = editorWaitDelay
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: interrupted; the file was left unchanged: %w", name, ctx.Err())
	}
	editor := filepath.Base(argv[0])
	var exit *exec.ExitError
	switch {
	case errors.As(runErr, &exit):
		return nil, fmt.Errorf("%s: the editor (%s) failed (%v); the file was left unchanged", name, editor, exit.ProcessState)
	case runErr != nil:
		return nil, withHint(fmt.Errorf("%s: running the editor %q: %w", name, editor, runErr),
			"set EDITOR to an editor on your PATH, for example EDITOR=nano or EDITOR=\"code --wait\"")
	}
	edited, err = readFileCapped("the edited copy of "+name, tmp)
	if err != nil {
		return nil, err
	}
	return edited, nil
}

// editorCommand returns the editor's command line: $VISUAL, else $EDITOR,
// else vi (the order of git, sops and kubectl edit), split into words as a
// shell would (quotes allowed).
func editorCommand(f *Factory) ([]string, error) {
	from, s := "VISUAL", f.Getenv("VISUAL")
	if strings.TrimSpace(s) == "" {
		from, s = "EDITOR", f.Getenv("EDITOR")
	}
	if strings.TrimSpace(s) == "" {
		return []string{"vi"}, nil
	}
	argv, err := shlex.Split(s)
	if err != nil || len(argv) == 0 {
		return nil, withHint(fmt.Errorf("$%s cannot be read as a command line (check its quotes)", from),
			"set %s to an editor command, for example %s=\"code --wait\"", from, from)
	}
	return argv, nil
}

// tempBase names the temporary copy after the file, so the editor picks
// the right syntax highlighting.
func tempBase(name string) string {
	base := filepath.Base(name)
	if base == "." || base == string(filepath.Separator) || strings.HasPrefix(base, ".") {
		return "secret" + filepath.Ext(name)
	}
	return base
}

// writePrivate creates path with mode 0600, refusing to follow or replace
// anything already there.
func writePrivate(path string, data []byte) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}
