package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// expandShorthand turns "seal PATH..." into "seal encrypt PATH...": when
// the first argument that is not a flag (read with encrypt's flags, so
// "seal -i secret.yaml" works) is not a command but "-", an existing path,
// or something that can only be a path (a separator, or a .yaml, .yml or
// .json name). Anything else that is not a command is reported as an
// unknown command, with suggestions, as cobra would. Commands win over
// files of the same name: "seal ./decrypt" encrypts a file called decrypt.
//
// Cobra's own commands (help, completion, and __complete, which cobra adds
// only when it executes) are never taken for files. "seal __complete ARGS"
// completes the shorthand as "seal __complete encrypt ARGS" once the words
// before the one being completed are a shorthand command line.
func expandShorthand(f *Factory, root *cobra.Command, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	if isCompletionRequest(args[0]) {
		return expandCompletion(f, root, args), nil
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if cmd, _, err := root.Find(args); err == nil && cmd != root {
		return args, nil
	}
	enc, _, err := root.Find([]string{"encrypt"})
	if err != nil || enc == root {
		return args, nil
	}
	first, ok := firstPositional(enc.Flags(), args)
	if !ok || isSubcommand(root, first) {
		return args, nil // flags only (--help), or a command after a flag: cobra reports it
	}
	if first == "-" || looksLikePath(first) || pathExists(f, first) {
		return append([]string{"encrypt"}, args...), nil
	}
	err = usagef("unknown command %q for %q", first, root.CommandPath())
	if root.SuggestionsMinimumDistance <= 0 {
		root.SuggestionsMinimumDistance = 2
	}
	if s := root.SuggestionsFor(first); len(s) > 0 {
		return nil, withHint(err, "did you mean %s? (\"seal PATH...\" encrypts files, but no file %s exists)", strings.Join(s, " or "), first)
	}
	return nil, withHint(err, "run `seal --help` for the commands; \"seal PATH...\" encrypts files, but no file %s exists", first)
}

// firstPositional returns the first argument that is neither a flag of fs
// nor a flag's value.
func firstPositional(fs *pflag.FlagSet, args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		case a == "-" || !strings.HasPrefix(a, "-"):
			return a, true
		case strings.HasPrefix(a, "--"):
			name := a[2:]
			if fl := fs.Lookup(name); fl != nil && fl.NoOptDefVal == "" && !strings.Contains(name, "=") {
				i++ // --flag VALUE
			}
		default:
			short := a[1:]
			for j, c := range short {
				if c > 127 {
					break
				}
				if fl := fs.ShorthandLookup(string(c)); fl != nil && fl.NoOptDefVal == "" {
					if j == len(short)-1 {
						i++ // -f VALUE
					}
					break // -fVALUE
				}
			}
		}
	}
	return "", false
}

// isCompletionRequest reports whether name is one of the hidden commands
// cobra's completion scripts call.
func isCompletionRequest(name string) bool {
	return name == cobra.ShellCompRequestCmd || name == cobra.ShellCompNoDescRequestCmd
}

// expandCompletion inserts "encrypt" into a completion request (args[0])
// whose complete words (all but the last, which is being typed) are a
// shorthand command line: a first word that is an encrypt flag root does
// not have, or a first positional word that the shorthand takes for a path.
func expandCompletion(f *Factory, root *cobra.Command, args []string) []string {
	words := args[1:]
	if len(words) < 2 {
		return args // the first word: cobra offers commands and files
	}
	done := words[:len(words)-1]
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	enc, _, err := root.Find([]string{"encrypt"})
	if err != nil || enc == root {
		return args
	}
	first := done[0]
	isFlag := strings.HasPrefix(first, "-") && first != "-" && first != "--"
	if isFlag {
		name := strings.TrimLeft(strings.SplitN(first, "=", 2)[0], "-")
		if root.Flags().Lookup(name) != nil || (len(name) == 1 && root.Flags().ShorthandLookup(name) != nil) {
			return args
		}
	} else if expanded, err := expandShorthand(f, root, done); err != nil || len(expanded) == len(done) {
		return args
	}
	return append([]string{args[0], "encrypt"}, words...)
}

func isSubcommand(root *cobra.Command, name string) bool {
	if isCompletionRequest(name) {
		return true
	}
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return true
		}
	}
	return false
}

func looksLikePath(s string) bool {
	if strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func pathExists(f *Factory, p string) bool {
	wd, err := factoryWD(f)
	if err != nil {
		return false
	}
	_, err = os.Stat(wdPath(wd, p))
	return err == nil
}
