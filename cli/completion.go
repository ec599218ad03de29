package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/keys"
)

// Shell completion is cobra's: `seal completion bash|zsh|fish|powershell`
// prints the script, which calls `seal __complete ARGS...`. What follows
// adds the values cobra cannot know: output formats, recipients from
// .sops.yaml, manifest files, and GitSync names from the cluster.

// completionExts are the extensions seal reads manifests from.
var completionExts = []string{"yaml", "yml", "json"}

// completeManifests completes file names of manifests (and directories).
func completeManifests(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return completionExts, cobra.ShellCompDirectiveFilterFileExt
}

// completeOneManifest completes one manifest file name, then nothing.
func completeOneManifest(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeManifests(cmd, args, toComplete)
}

// completeRecipients completes -r with the age recipients of the nearest
// .sops.yaml's creation rules, each described by the rule's path_regex.
func completeRecipients(f *Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if strings.HasPrefix(toComplete, "@") {
			return nil, cobra.ShellCompDirectiveDefault // @FILE
		}
		wd, err := factoryWD(f)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		rs := loadSopsRules(wd)
		if rs.cfg == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		var seen []string
		for _, rule := range rs.cfg.Rules() {
			for _, r := range rule.Recipients {
				if slices.Contains(seen, r) || !strings.HasPrefix(r, toComplete) {
					continue
				}
				seen = append(seen, r)
				where := "every file"
				if rule.PathRegex != "" {
					where = rule.PathRegex
				}
				out = append(out, cobra.CompletionWithDesc(r, keys.Fingerprint(r)+" from "+rs.name()+": "+where))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// addCompletions registers, in one place, how each command's arguments and
// flag values complete. Commands that are missing (another build of the
// tree) or flags a command lacks are skipped.
func addCompletions(root *cobra.Command, f *Factory) {
	find := func(path ...string) *cobra.Command {
		c, _, err := root.Find(path)
		if err != nil || c == root {
			return nil
		}
		return c
	}
	flag := func(c *cobra.Command, name string, fn cobra.CompletionFunc) {
		if c != nil && c.Flags().Lookup(name) != nil {
			_ = c.RegisterFlagCompletionFunc(name, fn)
		}
	}
	args := func(c *cobra.Command, fn cobra.CompletionFunc) {
		if c != nil && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = fn
		}
	}
	noFiles := cobra.NoFileCompletions
	outputs := map[string][]string{
		"check":   {"text", "json"},
		"version": {"json", "yaml"},
	}
	for path, formats := range outputs {
		flag(find(strings.Fields(path)...), "output", completeFormats(formats))
	}
	enc := find("encrypt")
	args(enc, completeManifests)
	flag(enc, "recipient", completeRecipients(f))
	flag(enc, "filename-override", completeManifests)
	for _, name := range []string{"decrypt", "edit", "set", "unset"} {
		args(find(name), completeOneManifest)
	}
	for _, path := range [][]string{{"check"}, {"keys", "list"}, {"keys", "rotate"}} {
		args(find(path...), completeManifests)
	}
	for _, name := range []string{"version", "keygen"} {
		args(find(name), noFiles)
	}
}

// completeFormats completes -o with formats; one that takes a value
// (jsonpath=) gets no space after it.
func completeFormats(formats []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		valued := true
		for _, f := range formats {
			if strings.HasPrefix(f, toComplete) {
				out = append(out, f)
				valued = valued && strings.HasSuffix(f, "=")
			}
		}
		if valued && len(out) > 0 {
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
