package keys

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// RuleFor returns the creation rule sops 3.13 uses for file: the first rule
// without path_regex or whose path_regex matches the file's absolute path
// with the config's directory and a separator trimmed from its front (a
// file outside that directory is matched by its absolute path). Relative
// file names resolve against the working directory, as in sops.
//
// Errors: ErrNoRule when no rule matches; ErrInvalidConfig when a
// path_regex reached on the way does not compile, or the chosen rule has an
// invalid recipient or conflicting settings. A chosen rule without age
// recipients (pgp, kms… only) is returned together with an error wrapping
// ErrUnmanagedRule, so callers can report it.
func (c *Config) RuleFor(file string) (*Rule, error) {
	if c.none {
		return nil, &configError{err: ErrNoRule, msg: fmt.Sprintf(
			"%s: %v for %s: the file has no creation_rules; add a rule whose path_regex matches it", c.Path, ErrNoRule, file)}
	}
	configDir, err := filepath.Abs(filepath.Dir(c.Path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	rel := strings.TrimPrefix(abs, configDir+string(filepath.Separator))
	for i := range c.rules {
		r := &c.rules[i]
		if r.PathRegex != "" {
			if r.reErr != nil {
				return nil, r.reErr
			}
			if !r.re.MatchString(rel) {
				continue
			}
		}
		if r.useErr != nil {
			return nil, r.useErr
		}
		rule := r.Rule
		if len(rule.Recipients) == 0 {
			return &rule, c.unmanaged(&rule)
		}
		return &rule, nil
	}
	return nil, &configError{err: ErrNoRule, msg: fmt.Sprintf(
		"%s: %v for %s (matched as %q against %d path_regex): add a creation rule whose path_regex matches it",
		c.Path, ErrNoRule, file, rel, len(c.rules))}
}

func (c *Config) unmanaged(r *Rule) error {
	what := "has no keys"
	if len(r.OtherKeys) > 0 {
		what = "uses " + strings.Join(r.OtherKeys, ", ") + ", which seal does not manage"
	}
	return &configError{err: ErrUnmanagedRule, msg: fmt.Sprintf(
		"%s: %s %s: give it age recipients, or encrypt this file with sops", c.Path, ruleName(r), what)}
}

// ruleName names a rule in messages: creation_rules[2] (line 14).
func ruleName(r *Rule) string {
	if r.Line > 0 {
		return fmt.Sprintf("creation_rules[%d] (line %d)", r.Index, r.Line)
	}
	return fmt.Sprintf("creation_rules[%d]", r.Index)
}

// compileRule turns a decoded rule into what RuleFor needs, recording the
// errors sops would raise when it reaches or picks the rule.
func compileRule(path string, index, line int, sr *sopsRule) compiledRule {
	r := compiledRule{Rule: Rule{
		Index: index, Line: line, PathRegex: sr.PathRegex,
		EncryptedRegex: sr.EncryptedRegex, KeyGroups: len(sr.KeyGroups),
	}}
	where := path + ": " + ruleName(&r.Rule)
	if sr.PathRegex != "" {
		re, err := regexp.Compile(sr.PathRegex)
		if err != nil {
			r.reErr = fmt.Errorf("%s: %w: path_regex %q does not compile: %v", where, ErrInvalidConfig, sr.PathRegex, err)
		}
		r.re = re
	}
	if n := cryptSettings(sr); n > 1 {
		r.useErr = fmt.Errorf("%s: %w: use only one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "+
			"unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex", where, ErrInvalidConfig)
		return r
	}
	recipients, others, err := ruleKeys(sr)
	if err != nil {
		r.useErr = fmt.Errorf("%s: %w: %v", where, ErrInvalidConfig, err)
		return r
	}
	seen := map[string]bool{}
	for _, s := range recipients {
		if _, _, err := ParseRecipient(s); err != nil {
			r.useErr = fmt.Errorf("%s: %w", where, err)
			return r
		}
		if !seen[s] {
			seen[s] = true
			r.Recipients = append(r.Recipients, s)
		}
	}
	r.OtherKeys = others
	return r
}

func cryptSettings(sr *sopsRule) int {
	n := 0
	for _, s := range []string{sr.UnencryptedSuffix, sr.EncryptedSuffix, sr.UnencryptedRegex,
		sr.EncryptedRegex, sr.UnencryptedCommentRegex, sr.EncryptedCommentRegex} {
		if s != "" {
			n++
		}
	}
	return n
}
