package cli

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/seal-gitops/seal/crypto"
)

// finding is one problem seal check reports. Its JSON form is the stable
// schema of `seal check -o json`. It never holds a value.
type finding struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Key     string `json:"key,omitempty"` // the value's path (stringData.password), for value findings
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
	// Notice marks what is shown for review but is not a problem (a
	// HelmRelease's widening): it does not fail the check.
	Notice bool `json:"notice,omitempty"`
}

// Finding codes: stable identifiers for tools.
const (
	codePlaintext     = "plaintext"         // a Secret value in plaintext
	codeUnencrypted   = "unencrypted-value" // a value of an encrypted file its rules cover, in plaintext
	codeNoMAC         = "no-mac"            // an encrypted file without its integrity check
	codeStale         = "stale-recipients"  // recipients differ from the creation rule
	codeNoRule        = "no-rule"           // no creation rule covers the file
	codeUnmanagedRule = "unmanaged-rule"    // the rule uses keys seal does not manage
	codeInvalidConfig = "invalid-config"    // the .sops.yaml cannot be used
	codeMalformed     = "malformed"         // the file cannot be read
	codeUnbound       = "unbound"           // sealed values with no sealed identity: the agent refuses them
)

// checkSource returns the findings for one file whose Data is read.
func checkSource(s *auditFile, rs *sopsRules) []finding {
	if len(s.Data) > crypto.MaxFileSize {
		if looksEncrypted(s.Data) || secretTextRe.Match(s.Data) {
			return []finding{{File: s.Name, Line: 1, Code: codeMalformed,
				Problem: fmt.Sprintf("larger than %d MiB, too large to check, and it looks like a Secret or a SOPS file", crypto.MaxFileSize>>20),
				Fix:     "keep Secret manifests small: split the file"}}
		}
		return nil
	}
	if looksEncrypted(s.Data) {
		return checkEncrypted(s, rs)
	}
	return append(checkPlain(s, rs), releaseNotices(s.Name, s.Data)...)
}

// checkEncrypted judges a file with SOPS metadata.
func checkEncrypted(s *auditFile, rs *sopsRules) []finding {
	line := sopsLine(s.Data)
	md, err := crypto.Inspect(s.Name, s.Data)
	if errors.Is(err, crypto.ErrNotEncrypted) {
		return checkPlain(s, rs) // a "sops" key that is not SOPS metadata
	}
	if err != nil {
		return []finding{{File: s.Name, Line: line, Code: codeMalformed, Problem: cryptoErrText(err),
			Fix: "restore its last good version from Git"}}
	}
	var fs []finding
	if !md.HasMAC {
		fs = append(fs, finding{File: s.Name, Line: line, Code: codeNoMAC,
			Problem: "encrypted file without a MAC: nothing proves its values were not changed",
			Fix: "restore its last good version from Git, or decrypt it with `sops decrypt --ignore-mac`, check every value, " +
				"and encrypt it again with `seal encrypt`"})
	}
	fs = append(fs, unboundFindings(s.Name, line, md)...)
	pts, err := crypto.FindPlaintext(s.Name, s.Data)
	if err != nil {
		fs = append(fs, finding{File: s.Name, Line: line, Code: codeMalformed, Problem: cryptoErrText(err),
			Fix: "restore it from Git"})
	}
	for _, p := range pts {
		fs = append(fs, finding{File: s.Name, Line: p.Line, Code: codeUnencrypted, Key: p.Path,
			Problem: fmt.Sprintf("value %s is not encrypted, although the file's encryption rules cover it", p.Path),
			Fix:     "remove the line (the MAC no longer matches while it is there), then set the value again with `seal set " + s.Name + " " + p.Path + "` (it reads the value from stdin)"})
	}
	fs = append(fs, policyFindings(s, line, md.Recipients, rs)...)
	rule, err := rs.ruleFor(s.Abs)
	if err != nil {
		code, problem, fix := rs.ruleProblem(s.Name, err)
		return append(fs, finding{File: s.Name, Line: line, Code: code, Problem: problem, Fix: fix})
	}
	if d := diffRecipients(md, rule.Recipients); !d.empty() {
		fs = append(fs, finding{File: s.Name, Line: line, Code: codeStale,
			Problem: "recipients differ from " + rs.ruleName(rule) + ": " + d.summary(),
			Fix:     "run `seal keys rotate " + s.Name + "`"})
	}
	return fs
}

// secretTextRe and templateRe tell an unparseable file that may hold a
// Secret from, say, a Helm template (which is not a manifest yet).
var (
	secretTextRe = regexp.MustCompile(`(?m)(^[ \t]*kind:[ \t]*["']?Secret["']?[ \t]*(#.*)?\r?$)|("kind"[ \t]*:[ \t]*"Secret")`)
	templateRe   = regexp.MustCompile(`\{\{`)
)

// checkPlain judges a file without SOPS metadata: only Secrets matter.
func checkPlain(s *auditFile, rs *sopsRules) []finding {
	pts, err := crypto.FindPlaintext(s.Name, s.Data)
	if err != nil {
		if secretTextRe.Match(s.Data) && !templateRe.Match(s.Data) {
			return []finding{{File: s.Name, Line: 1, Code: codeMalformed, Problem: cryptoErrText(err) + "; it looks like a Secret, so it cannot be left unchecked",
				Fix: "fix the syntax, then encrypt it with `seal encrypt -i " + s.Name + "`"}}
		}
		return nil // not a manifest seal can read, and not a Secret
	}
	line, ok := firstSecretLine(s.Data)
	if !ok {
		return nil
	}
	var fs []finding
	for _, p := range pts {
		fs = append(fs, finding{File: s.Name, Line: p.Line, Code: codePlaintext, Key: p.Path,
			Problem: fmt.Sprintf("Secret value %s is in plaintext", p.Path),
			Fix:     "encrypt the file with `seal encrypt -i " + s.Name + "`"})
	}
	if _, err := rs.ruleFor(s.Abs); err != nil {
		code, problem, fix := rs.ruleProblem(s.Name, err)
		fs = append(fs, finding{File: s.Name, Line: line, Code: code, Problem: problem, Fix: fix})
	}
	return fs
}

// firstSecretLine returns the line of the kind of the first Secret
// document in data, and whether there is one. data has been parsed by
// crypto.FindPlaintext already, so it is valid YAML (or JSON).
func firstSecretLine(data []byte) (line int, ok bool) {
	defer func() {
		if recover() != nil {
			line, ok = 0, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return 0, false // io.EOF: no Secret; anything else cannot happen after FindPlaintext
		}
		if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "kind" && m.Content[i+1].Kind == yaml.ScalarNode && m.Content[i+1].Value == "Secret" {
				return m.Content[i+1].Line, true
			}
		}
	}
}

// unboundFindings reports sealed values the agent refuses because nothing
// says which Secret they belong to (files from the sops CLI, or made
// before seal sealed identities), with the command that binds them. They
// are notices: a GitSync may accept them (spec.decryption.allowUnbound),
// and teams that encrypt with the sops CLI keep a passing check.
func unboundFindings(name string, line int, md *crypto.Metadata) []finding {
	switch {
	case md.UnboundInput:
		return []finding{{File: name, Line: line, Code: codeUnbound, Notice: true,
			Problem: "encrypted without a binding to the Secret or Helm release it feeds, so the agent refuses its values",
			Fix: "run `seal bind " + name + " NAMESPACE/NAME` with the namespace and name of the Secret its secretGenerator makes " +
				"(`seal bind --release " + name + " NAMESPACE/RELEASE` for a Helm values file)"}}
	case len(md.Unbound) > 0:
		docs := make([]string, len(md.Unbound))
		for i, d := range md.Unbound {
			docs[i] = fmt.Sprint(d + 1)
		}
		return []finding{{File: name, Line: line, Code: codeUnbound, Notice: true,
			Problem: fmt.Sprintf("document %s may be a Secret but carries no sealed identity (kind, namespace, name), so the agent refuses its values", strings.Join(docs, ", ")),
			Fix: "run `seal edit " + name + "` and save (unchanged is fine): that seals each Secret for its namespace and name; " +
				"add metadata.namespace in the editor where a Secret has none"}}
	}
	return nil
}
