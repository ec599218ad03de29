package render

import (
	"bytes"
	"fmt"
	"path"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/types"
)

// holdsSecretData says whether obj is a core Secret with any data or
// stringData. An empty Secret carries nothing to protect.
func holdsSecretData(obj *unstructured.Unstructured) bool {
	return holdsSecretDataMap(obj.Object)
}

func holdsSecretDataMap(m map[string]any) bool {
	if m["kind"] != "Secret" || m["apiVersion"] != "v1" {
		return false
	}
	return nonEmpty(m["data"]) || nonEmpty(m["stringData"])
}

func nonEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case map[string]any:
		return len(v) > 0
	case string:
		return v != ""
	}
	return true // anything else is odd enough to treat as data
}

func plaintextSecretError(name string, doc int, obj *unstructured.Unstructured) error {
	id := obj.GetName()
	if ns := obj.GetNamespace(); ns != "" {
		id = ns + "/" + id
	}
	return fmt.Errorf("%s: document %d: %w: Secret %s is not SOPS-encrypted; encrypt the file with seal or sops, or allow plaintext Secrets",
		name, doc, ErrPlaintextSecret, id)
}

// fileHoldsSecretData says whether a file kustomize reads (a resource or a
// patch, in YAML or JSON) holds a Secret with data, directly or in a List.
// Files that do not parse as YAML (env files, scripts) hold none as far as
// this check goes; kustomize reports them if they were meant as YAML.
func fileHoldsSecretData(data []byte) bool {
	if !bytes.Contains(data, []byte("Secret")) {
		return false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return false
		}
		if holdsSecretDataMap(m) {
			return true
		}
		if items, ok := m["items"].([]any); ok {
			for _, it := range items {
				if im, ok := it.(map[string]any); ok && holdsSecretDataMap(im) {
					return true
				}
			}
		}
	}
}

// secretGenerator refuses literals and records the files that must be
// encrypted, unless plaintext Secrets are allowed.
func (s *scanner) secretGenerator(kfile, dir, name string, src types.KvPairSources) error {
	s.secretKust[kfile] = true
	if s.r.opts.AllowPlaintextSecrets {
		return nil
	}
	if len(src.LiteralSources) > 0 {
		return fmt.Errorf("%s: secretGenerator %q: %w: literals are plaintext; put the values in a SOPS-encrypted env file, or allow plaintext Secrets", kfile, name, ErrPlaintextSecret)
	}
	for _, p := range sourcePaths(src) {
		target := path.Clean(joinPath(dir, p))
		if real, _, err := s.r.res.resolve(target); err == nil {
			s.mustEncrypt[real] = fmt.Sprintf("secretGenerator %q in %s", name, kfile)
		}
	}
	return nil
}
