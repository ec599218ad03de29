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

func (s *scanner) generatorConfigFile(kfile, dir, real string) error {
	data, encrypted, err := s.r.read(real)
	if err != nil || encrypted {
		return err
	}
	return s.generatorConfigs(real, dir, data)
}

// generatorConfigs applies the secretGenerator rules to SecretGenerator
// configs listed under generators. Their files are relative to dir.
func (s *scanner) generatorConfigs(name, dir string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var g types.SecretArgs
		var head struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Literals []string `yaml:"literals"`
			Files    []string `yaml:"files"`
			Envs     []string `yaml:"envs"`
			Env      string   `yaml:"env"`
		}
		if err := dec.Decode(&head); err != nil {
			return nil // not YAML kustomize can use either; it reports it
		}
		if head.Kind != "SecretGenerator" {
			continue
		}
		g.LiteralSources, g.FileSources, g.EnvSources, g.EnvSource = head.Literals, head.Files, head.Envs, head.Env
		if err := s.secretGenerator(name, dir, head.Metadata.Name, g.KvPairSources); err != nil {
			return err
		}
		for _, p := range sourcePaths(g.KvPairSources) {
			if err := s.checkRef(name, dir, ref{field: "SecretGenerator", value: p}); err != nil {
				return err
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
