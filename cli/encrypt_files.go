package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/seal-gitops/seal/crypto"
)

// encInput is one file seal encrypt works on.
type encInput struct {
	Name   string // as shown to the user: as given, or under the directory given
	Path   string // absolute; "" for stdin
	Stdin  bool
	Walked bool // found by walking a directory: a non-Secret is skipped, not refused
	// Override is --filename-override, for stdin: the name the rules and
	// the format go by.
	Override string
}

// cryptoName is the name crypto picks the format by.
func (in encInput) cryptoName() string {
	if in.Stdin && in.Override != "" {
		return in.Override
	}
	return in.Name
}

const stdinName = "<stdin>"

// collectEncInputs expands the PATH arguments into files, refusing what
// cannot work: stdin twice or in place, several files or a directory
// without -i, --filename-override without stdin. It reports whether a
// directory was walked.
func collectEncInputs(wd string, opts *encryptOptions) (ins []encInput, walked bool, err error) {
	if len(opts.Paths) == 0 {
		return nil, false, withHint(usagef("no PATH given"), "name the Secret manifests or directories to encrypt, or - to read stdin")
	}
	stdin := 0
	for _, arg := range opts.Paths {
		if arg == "-" {
			stdin++
			ins = append(ins, encInput{Name: stdinName, Stdin: true, Override: opts.FilenameOverride})
			if opts.FilenameOverride != "" {
				ins[len(ins)-1].Name = opts.FilenameOverride
			}
			continue
		}
		path := wdPath(wd, arg)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, false, pathError(arg, err)
		}
		if !fi.IsDir() {
			ins = append(ins, encInput{Name: arg, Path: path})
			continue
		}
		if !opts.InPlace {
			return nil, false, withHint(usagef("%s: is a directory; without -i only one file can be encrypted, to stdout", arg),
				"pass -i to encrypt every Secret under %s in place", arg)
		}
		walked = true
		found, err := walkManifests(arg, path)
		if err != nil {
			return nil, false, err
		}
		ins = append(ins, found...)
	}
	switch {
	case stdin > 1:
		return nil, false, usagef("-: stdin given more than once")
	case stdin > 0 && opts.InPlace:
		return nil, false, withHint(usagef("-: stdin cannot be encrypted in place"), "leave out -i; the result goes to stdout")
	case opts.FilenameOverride != "" && stdin == 0:
		return nil, false, usagef("--filename-override only applies to stdin (-)")
	case len(opts.Paths) > 1 && !opts.InPlace:
		return nil, false, withHint(usagef("%d files given; without -i only one file can be encrypted, to stdout", len(opts.Paths)),
			"pass -i (--in-place) to encrypt each file in place")
	}
	return ins, walked, nil
}

// walkManifests lists the YAML and JSON files under dir (shown as name),
// in lexical order, leaving out hidden files and directories and symbolic
// links (replacing a link's target from a walk would be a surprise).
func walkManifests(name, dir string) ([]encInput, error) {
	var out []encInput
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != dir && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case d.IsDir(), hidden, !d.Type().IsRegular():
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = append(out, encInput{Name: filepath.Join(name, rel), Path: path, Walked: true})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: walking the directory: %w", name, err)
	}
	return out, nil
}

// readEncInput reads a file or stdin, up to crypto.MaxFileSize.
func readEncInput(f *Factory, in encInput) ([]byte, error) {
	if in.Stdin {
		return readCapped(in.Name, f.IO.In)
	}
	return readFileCapped(in.Name, in.Path)
}

// readFileCapped reads path (shown as name), up to crypto.MaxFileSize.
func readFileCapped(name, path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, pathError(name, err)
	}
	defer file.Close()
	return readCapped(name, file)
}

func readCapped(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, crypto.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", name, err)
	}
	if len(data) > crypto.MaxFileSize {
		return nil, fmt.Errorf("%s: %w: over the limit of %d MiB; Secret manifests are small, so check that this is the right file",
			name, crypto.ErrTooLarge, crypto.MaxFileSize>>20)
	}
	return data, nil
}

// pathError words a failure to open or stat a command-line path as
// "NAME: no such file or directory", without the absolute path it was
// resolved to.
func pathError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", name, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
