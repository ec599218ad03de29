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
func expandShorthand(f *Factory, root *cobra.Command, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
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

func isSubcommand(root *cobra.Command, name string) bool {
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
