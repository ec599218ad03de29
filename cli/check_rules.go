package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// sopsRules is the .sops.yaml that applies to a run. Like sops, seal finds it
// from the working directory upward, not from each file's directory, so
// check, rotate and list judge files by the rules sops would use here.
type sopsRules struct {
	wd   string
	path string // absolute path of the .sops.yaml; "" when none was found
	cfg  *keys.Config
	err  error // why there is no usable config, when cfg is nil
}

// loadSopsRules finds and loads the .sops.yaml for wd.
func loadSopsRules(wd string) *sopsRules {
	rs := &sopsRules{wd: wd}
	path, err := keys.FindConfig(wd)
	if err != nil {
		rs.err = err
		return rs
	}
	rs.path = path
	rs.cfg, rs.err = keys.LoadConfig(path)
	return rs
}

// name is the config's path as shown to the user.
func (rs *sopsRules) name() string {
	if rs.path == "" {
		return keys.ConfigName
	}
	return relToWD(rs.wd, rs.path)
}

// ruleFor returns the creation rule for the file at abs. Errors wrap
// keys.ErrNoConfig, keys.ErrInvalidConfig, keys.ErrNoRule or
// keys.ErrUnmanagedRule.
func (rs *sopsRules) ruleFor(abs string) (*keys.Rule, error) {
	if rs.cfg == nil {
		return nil, rs.err
	}
	return rs.cfg.RuleFor(abs)
}

// ruleName names a rule for messages: ".sops.yaml creation_rules[1] (line 7)".
func (rs *sopsRules) ruleName(r *keys.Rule) string {
	if r.Line > 0 {
		return fmt.Sprintf("%s creation_rules[%d] (line %d)", rs.name(), r.Index, r.Line)
	}
	return fmt.Sprintf("%s creation_rules[%d]", rs.name(), r.Index)
}

// relMsg is err's message with the working directory trimmed from the
// absolute paths the keys package puts in it.
func (rs *sopsRules) relMsg(err error) string {
	return strings.ReplaceAll(err.Error(), rs.wd+"/", "")
}

// ruleProblem says, for a file whose rule could not be found, what is
// wrong and how to fix it, in the words of check and rotate.
func (rs *sopsRules) ruleProblem(name string, err error) (code, problem, fix string) {
	switch {
	case errors.Is(err, keys.ErrNoConfig):
		return codeNoRule, "no " + keys.ConfigName + " found in the working directory or its parents",
			"create one with a creation rule for this file: `seal keys fetch --update-config PATH_REGEX` writes one with the cluster's key"
	case errors.Is(err, keys.ErrNoRule):
		return codeNoRule, "no creation rule in " + rs.name() + " covers this file",
			"add a rule whose path_regex matches " + name + " (`seal keys fetch --update-config PATH_REGEX` adds one)"
	case errors.Is(err, keys.ErrUnmanagedRule):
		return codeUnmanagedRule, rs.relMsg(err), "give the rule age recipients, or manage this file with sops"
	default:
		return codeInvalidConfig, rs.relMsg(err), "fix " + rs.name() + " so that sops can read it"
	}
}

// recipientDiff is what rotation changes in a file's key list.
type recipientDiff struct {
	Add    []string // recipients the rule names and the file lacks
	Remove []string // recipients the file has and the rule does not name
	Other  []string // non-age keys (pgp, kms…) the file has, which rotation drops
}

func (d recipientDiff) empty() bool {
	return len(d.Add) == 0 && len(d.Remove) == 0 && len(d.Other) == 0
}

// diffRecipients compares a file's keys with its rule's recipients.
func diffRecipients(md *crypto.Metadata, want []string) recipientDiff {
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	have := map[string]bool{}
	for _, r := range md.Recipients {
		have[norm(r)] = true
	}
	wanted := map[string]bool{}
	var d recipientDiff
	for _, r := range want {
		wanted[norm(r)] = true
		if !have[norm(r)] {
			d.Add = append(d.Add, r)
		}
	}
	seen := map[string]bool{}
	for _, r := range md.Recipients {
		if n := norm(r); !wanted[n] && !seen[n] {
			seen[n] = true
			d.Remove = append(d.Remove, r)
		}
	}
	d.Other = append(d.Other, md.OtherKeys...)
	return d
}

// summary says what changes, recipients shortened: "add age1…; remove age1…".
func (d recipientDiff) summary() string {
	var parts []string
	if len(d.Add) > 0 {
		parts = append(parts, "add "+shortRecipients(d.Add))
	}
	if len(d.Remove) > 0 {
		parts = append(parts, "remove "+shortRecipients(d.Remove))
	}
	if len(d.Other) > 0 {
		parts = append(parts, "drop "+strings.Join(d.Other, ", ")+" keys")
	}
	return strings.Join(parts, "; ")
}

func shortRecipients(rs []string) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = keys.Short(r)
	}
	return strings.Join(out, ", ")
}

// Detecting SOPS files. crypto.IsEncrypted needs a MAC line, but check
// must also see encrypted files whose MAC was stripped: a top-level sops
// entry is enough to call a file encrypted.
var (
	yamlSopsKeyRe = regexp.MustCompile(`(?m)^sops:[ \t]*(#.*)?\r?$`)
	jsonSopsKeyRe = regexp.MustCompile(`"sops"[ \t\r\n]*:[ \t\r\n]*\{`)
)

// looksEncrypted reports whether data carries SOPS metadata, MAC or not.
func looksEncrypted(data []byte) bool {
	return crypto.IsEncrypted(data) || yamlSopsKeyRe.Match(data) || jsonSopsKeyRe.Match(data)
}

// sopsLine is the line of the first sops entry, 1 if it cannot be found.
func sopsLine(data []byte) int {
	loc := yamlSopsKeyRe.FindIndex(data)
	if loc == nil {
		loc = jsonSopsKeyRe.FindIndex(data)
	}
	if loc == nil {
		return 1
	}
	return 1 + strings.Count(string(data[:loc[0]]), "\n")
}

// cryptoErrText is a crypto error's message without the file name it starts
// with (findings print the name already).
func cryptoErrText(err error) string {
	var fe *crypto.FileError
	if errors.As(err, &fe) {
		return fe.Err.Error()
	}
	return err.Error()
}
