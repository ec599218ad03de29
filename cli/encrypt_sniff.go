package cli

import (
	"bytes"
	"errors"
	"io"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// sniffSecret reports whether data holds a document of kind Secret, before
// any recipient is looked up: a walk must skip other manifests even where
// no .sops.yaml rule covers them. ok is false when data does not parse;
// crypto.Encrypt then says why, in words that never quote the file.
func sniffSecret(data []byte) (hasSecret, ok bool) {
	defer func() {
		if recover() != nil {
			hasSecret, ok = false, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return hasSecret, true
		}
		if err != nil {
			return false, false
		}
		if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "kind" && m.Content[i+1].Kind == yaml.ScalarNode && m.Content[i+1].Value == "Secret" {
				hasSecret = true
			}
		}
	}
}

// secretKindRe finds "kind: Secret" (YAML) or "kind": "Secret" (JSON) in
// text that does not parse.
var secretKindRe = regexp.MustCompile(`(?m)^[ \t]*"?kind"?[ \t]*:[ \t]*["']?Secret["']?[ \t]*,?[ \t]*(#.*)?\r?$`)

// skipWalked decides whether a file met in a directory walk is left alone,
// and why: it holds no Secret, or it does not parse (a template, say) and
// does not look like a Secret either. A broken file that looks like a
// Secret is not skipped, so its error is reported.
func skipWalked(data []byte) (skip bool, why string) {
	hasSecret, ok := sniffSecret(data)
	switch {
	case ok && !hasSecret:
		return true, "not a Secret"
	case !ok && !secretKindRe.Match(data):
		return true, "not a Secret (and not valid YAML or JSON)"
	}
	return false, ""
}
