package keys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	yaml "go.yaml.in/yaml/v3"
)

// ConfigName is the only file name sops 3.13 reads its configuration from;
// it ignores .sops.yml (with a warning), and so does seal.
const (
	ConfigName        = ".sops.yaml"
	ignoredConfigName = ".sops.yml"
	maxConfigDepth    = 100 // as sops' LookupConfigFile
	maxConfigSize     = 4 << 20
)

// ConfigLookup is the result of LookupConfig.
type ConfigLookup struct {
	Path    string // the .sops.yaml found; "" if none
	Ignored string // a nearer .sops.yml that sops (and seal) ignore, worth a warning
}

// LookupConfig finds the nearest .sops.yaml in dir or its parents, as sops
// does from its working directory (sops looks from the current directory,
// not from the file's: pass the working directory to find what sops finds).
// A .sops.yml met on the way is reported in Ignored. When none is found the
// error wraps ErrNoConfig.
func LookupConfig(dir string) (ConfigLookup, error) {
	var res ConfigLookup
	d, err := filepath.Abs(dir)
	if err != nil {
		return res, fmt.Errorf("%s: %w", dir, err)
	}
	for range maxConfigDepth {
		p := filepath.Join(d, ConfigName)
		if _, err := os.Stat(p); err == nil {
			res.Path = p
			return res, nil
		}
		if res.Ignored == "" {
			if _, err := os.Stat(filepath.Join(d, ignoredConfigName)); err == nil {
				res.Ignored = filepath.Join(d, ignoredConfigName)
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	msg := fmt.Sprintf("%s: %v in it or any parent directory; create one with a creation rule for your files", dir, ErrNoConfig)
	if res.Ignored != "" {
		msg += fmt.Sprintf(" (%s exists, but sops only reads %s: rename it)", res.Ignored, ConfigName)
	}
	return res, &configError{msg: msg, err: ErrNoConfig}
}

// FindConfig returns LookupConfig(dir).Path.
func FindConfig(dir string) (string, error) {
	res, err := LookupConfig(dir)
	return res.Path, err
}

type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.err }

// Config is a parsed .sops.yaml.
type Config struct {
	Path   string // as given to LoadConfig; rules match relative to its directory
	Policy Policy // the seal section's key policy; zero when there is none
	rules  []compiledRule
	none   bool // no creation_rules key (or null): sops then uses no rule
}

// Rule is one creation rule, as seal sees it.
type Rule struct {
	Index          int      // position in creation_rules, from 0
	Line           int      // line in the file, for messages; 0 if unknown
	PathRegex      string   // "" matches every file
	Recipients     []string // age recipients: the age field, or the age entries of key_groups
	EncryptedRegex string
	OtherKeys      []string // other key types the rule uses (pgp, kms…), which seal does not manage
	KeyGroups      int      // number of key_groups; 0 when the rule uses top-level keys
}

// compiledRule is a Rule with what sops would complain about when it uses it.
type compiledRule struct {
	Rule
	re     *regexp.Regexp
	reErr  error // path_regex does not compile: fails when sops reaches the rule
	useErr error // bad keys or settings: fails when sops picks the rule
}

// LoadConfig reads a .sops.yaml. It fails where sops fails to load the file
// (YAML syntax, wrong types); problems sops only reports when it reaches or
// picks a rule (a bad path_regex, an invalid recipient) come from RuleFor.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &configError{msg: fmt.Sprintf("%s: %v: the file does not exist", path, ErrNoConfig), err: ErrNoConfig}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return parseConfig(path, data)
}

// Rules returns every creation rule in order.
func (c *Config) Rules() []Rule {
	out := make([]Rule, len(c.rules))
	for i, r := range c.rules {
		out[i] = r.Rule
	}
	return out
}

// parseConfig decodes data the way sops does, into the same shapes, so the
// same files load and fail.
func parseConfig(path string, data []byte) (cfg *Config, err error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: %w: larger than %d MiB", path, ErrInvalidConfig, maxConfigSize>>20)
	}
	defer func() {
		if recover() != nil {
			cfg, err = nil, fmt.Errorf("%s: %w: the YAML parser failed on it", path, ErrInvalidConfig)
		}
	}()
	var doc yaml.Node
	var file sopsFile
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrInvalidConfig, err)
	}
	if doc.Kind != 0 {
		if err := doc.Decode(&file); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", path, ErrInvalidConfig, err)
		}
	}
	policy, err := parsePolicy(path, &doc)
	if err != nil {
		return nil, err
	}
	cfg = &Config{Path: path, Policy: policy, none: file.CreationRules == nil}
	lines := ruleLines(&doc)
	for i := range file.CreationRules {
		line := 0
		if len(lines) == len(file.CreationRules) {
			line = lines[i]
		}
		cfg.rules = append(cfg.rules, compileRule(path, i, line, &file.CreationRules[i]))
	}
	return cfg, nil
}

// ruleLines returns the line of each creation rule in doc.
func ruleLines(doc *yaml.Node) []int {
	seq := mappingValue(documentRoot(doc), "creation_rules")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	lines := make([]int, len(seq.Content))
	for i, n := range seq.Content {
		lines[i] = n.Line
	}
	return lines
}

// documentRoot returns the top node of a document, nil if there is none.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return nil
}

// mappingValue returns the value of key in mapping m, nil if absent.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if i := mappingIndex(m, key); i >= 0 {
		return m.Content[i+1]
	}
	return nil
}

// mappingKey returns the key node of key in mapping m, nil if absent.
func mappingKey(m *yaml.Node, key string) *yaml.Node {
	if i := mappingIndex(m, key); i >= 0 {
		return m.Content[i]
	}
	return nil
}

func mappingIndex(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return i
		}
	}
	return -1
}
