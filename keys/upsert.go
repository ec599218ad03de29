package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"

	yaml "go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/internal/atomicfile"
)

// DefaultEncryptedRegex is the encrypted_regex of the rules seal writes:
// the data and stringData of Secrets are encrypted, and so is the
// seal.dev/sealed-for annotation that binds each Secret to its identity
// (crypto.BoundEncryptedRegex), so that `sops encrypt` of a file seal
// decrypted keeps the binding encrypted too.
const DefaultEncryptedRegex = `^(data|stringData|seal\.dev/sealed-for)$`

// UpsertRule makes the creation rule with exactly pathRegex as path_regex
// encrypt to recipients (validated, de-duplicated, order kept). It replaces
// the age recipients of an existing rule, or adds a rule (encrypted_regex
// DefaultEncryptedRegex, age: recipients) before the first catch-all rule
// (one without path_regex, which would shadow it), else at the end. It
// edits the YAML node tree, keeping every other rule, key and comment
// (blank lines and indentation are normalised), creates the file when it is
// missing, and writes atomically. When the rule already has exactly these
// recipients (in any order) the file is not touched.
func UpsertRule(configPath, pathRegex string, recipients []string) error {
	if pathRegex == "" {
		return fmt.Errorf("%s: %w: a path_regex is required", configPath, ErrInvalidConfig)
	}
	if _, err := regexp.Compile(pathRegex); err != nil {
		return fmt.Errorf("%s: %w: path_regex %q does not compile: %v", configPath, ErrInvalidConfig, pathRegex, err)
	}
	var want []string
	for _, r := range recipients {
		parsed, _, err := ParseRecipient(r)
		if err != nil {
			return fmt.Errorf("%s: %w", configPath, err)
		}
		if s := fmt.Sprint(parsed); !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	if len(want) == 0 {
		return fmt.Errorf("%s: %w: a creation rule needs at least one recipient", configPath, ErrNoRecipient)
	}
	data, err := os.ReadFile(configPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", configPath, err)
	}
	out, err := upsert(configPath, data, pathRegex, want)
	if err != nil || bytes.Equal(out, data) {
		return err
	}
	if err := verifyUpsert(configPath, out, pathRegex, want); err != nil {
		return err
	}
	return atomicfile.WriteFile(configPath, out, 0o644)
}

// upsert returns data with the rule set; data itself when nothing changes.
func upsert(path string, data []byte, pathRegex string, want []string) (out []byte, err error) {
	defer func() {
		if recover() != nil {
			out, err = nil, fmt.Errorf("%s: %w: the YAML library failed on it", path, ErrInvalidConfig)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %v; fix it before seal edits it", path, ErrInvalidConfig, err)
	}
	var prefix []byte
	if doc.Kind == 0 { // empty, or comments only: keep the text, add below it
		if prefix = bytes.TrimRight(data, " \t\r\n"); len(prefix) > 0 {
			if !commentsOnly(prefix) {
				return nil, fmt.Errorf("%s: %w: neither YAML nor comments; fix it before seal edits it", path, ErrInvalidConfig)
			}
			prefix = append(prefix, "\n\n"...)
		}
		doc = yaml.Node{Kind: yaml.DocumentNode}
	}
	if len(doc.Content) == 0 {
		doc.Content = []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}
	}
	root := doc.Content[0]
	if isNull(root) {
		*root = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: root.HeadComment}
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: %w: the top level is not a mapping", path, ErrInvalidConfig)
	}
	rules := mappingValue(root, "creation_rules")
	switch {
	case rules == nil:
		rules = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, scalar("creation_rules"), rules)
	case isNull(rules):
		*rules = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", LineComment: rules.LineComment}
	case rules.Kind != yaml.SequenceNode:
		return nil, fmt.Errorf("%s: %w: creation_rules is not a list", path, ErrInvalidConfig)
	}
	changed, err := setRule(path, rules, pathRegex, want)
	if err != nil || !changed {
		return data, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("%s: encoding: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: encoding: %w", path, err)
	}
	return append(prefix, buf.Bytes()...), nil
}

// setRule updates or inserts the rule in the creation_rules sequence and
// reports whether anything changed.
func setRule(path string, rules *yaml.Node, pathRegex string, want []string) (bool, error) {
	insertAt := len(rules.Content)
	for i, item := range rules.Content {
		rule := item
		if rule.Kind == yaml.AliasNode && rule.Alias != nil {
			rule = rule.Alias
		}
		pr := mappingValue(rule, "path_regex")
		if pr == nil && insertAt == len(rules.Content) {
			insertAt = i
		}
		if pr == nil || pr.Kind != yaml.ScalarNode || pr.Value != pathRegex {
			continue
		}
		where := fmt.Sprintf("%s: creation_rules[%d] (line %d)", path, i, item.Line)
		if item.Kind == yaml.AliasNode || mappingValue(rule, "key_groups") != nil {
			return false, fmt.Errorf("%s: %w: it uses key_groups or a YAML alias; edit its recipients by hand", where, ErrUnmanagedRule)
		}
		return setRecipients(where, rule, want)
	}
	item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		scalar("path_regex"), scalar(pathRegex),
		scalar("encrypted_regex"), scalar(DefaultEncryptedRegex),
		scalar("age"), recipientList(want),
	}}
	rules.Content = slices.Insert(rules.Content, insertAt, item)
	return true, nil
}

// setRecipients replaces the age field of rule unless it already holds
// exactly want, in any order.
func setRecipients(where string, rule *yaml.Node, want []string) (bool, error) {
	old := mappingValue(rule, "age")
	if old != nil {
		var v any
		if err := old.Decode(&v); err != nil {
			return false, fmt.Errorf("%s: %w: age: %v", where, ErrInvalidConfig, err)
		}
		have, err := keyField(v, "age")
		if err != nil {
			return false, fmt.Errorf("%s: %w: %v", where, ErrInvalidConfig, err)
		}
		have = splitRecipients(joinComma(have))
		if sameSet(have, want) {
			return false, nil
		}
		list := recipientList(want)
		list.HeadComment, list.FootComment = old.HeadComment, old.FootComment
		if key := mappingKey(rule, "age"); key.LineComment == "" {
			key.LineComment = old.LineComment // after "age:", where it stays on its line
		}
		*old = *list
		return true, nil
	}
	rule.Content = append(rule.Content, scalar("age"), recipientList(want))
	return true, nil
}

// verifyUpsert reads the new file back as sops would and checks the rule.
func verifyUpsert(path string, out []byte, pathRegex string, want []string) error {
	cfg, err := parseConfig(path, out)
	if err != nil {
		return fmt.Errorf("%s: the edited file does not load (not written): %w", path, err)
	}
	for _, r := range cfg.Rules() {
		if r.PathRegex == pathRegex {
			if !sameSet(r.Recipients, want) {
				return fmt.Errorf("%s: the edited rule does not read back as written (not written)", path)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: the edited rule is missing after the edit (not written)", path)
}
