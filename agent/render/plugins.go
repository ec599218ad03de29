package render

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/types"
)

// Builtin generator, transformer and validator configs (listed under
// generators, transformers and validators) name files of their own, which
// kustomize loads the way it loads resources: a URL there is fetched over
// HTTP. The scanner reads each config (inline, or a file; configs produced
// by a kustomization directory are refused, since transformations could
// build a URL) and checks every field that kustomize loads.

func isPluginField(field string) bool {
	return field == "generators" || field == "transformers" || field == "validators"
}

// loadedKeys are the builtin config fields whose values kustomize loads.
var loadedKeys = map[string]bool{
	"path": true, "paths": true, "files": true, "envs": true, "env": true,
	"valuesFile": true, "additionalValuesFiles": true, "targetFilePath": true, "chartHome": true,
}

func (s *scanner) pluginConfigFile(dir, real string) error {
	data, _, err := s.r.read(real, false)
	if err != nil {
		return err
	}
	return s.pluginConfigs(real, dir, data)
}

// pluginConfigs checks the configs in data (from name; their paths are
// relative to dir).
func (s *scanner) pluginConfigs(name, dir string, data []byte) error {
	if err := checkYAMLShape(name, data); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 1; ; doc++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil // not YAML kustomize can use either; it reports it
		}
		kind, _ := m["kind"].(string)
		if kind == "HelmChartInflationGenerator" {
			return fmt.Errorf("%s: document %d: %w: helm charts (render them into the repository instead)", name, doc, ErrUnsupported)
		}
		if key, v := remoteValue(m); v != "" {
			return fmt.Errorf("%s: document %d: %s %q: %w: vendor it into the repository", name, doc, key, v, ErrRemoteReference)
		}
		if kind == "SecretGenerator" {
			if err := s.secretGeneratorConfig(name, dir, m); err != nil {
				return err
			}
		}
		if p, ok := m["patch"].(string); ok && !s.r.opts.AllowPlaintextSecrets && fileHoldsSecretData([]byte(p)) {
			return fmt.Errorf("%s: document %d: %w: an inline patch puts data in a Secret; move it to a SOPS-encrypted file, or allow plaintext Secrets", name, doc, ErrPlaintextSecret)
		}
	}
}

// remoteValue finds, anywhere in v, a loaded field holding a remote
// reference, and returns the field and the value.
func remoteValue(v any) (string, string) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // report the same field every time
		for _, k := range keys {
			c := v[k]
			if loadedKeys[k] {
				for _, s := range strs(c) {
					if _, p, ok := strings.Cut(s, "="); ok && k == "files" {
						s = p
					}
					if isRemote(s) {
						return k, s
					}
				}
			}
			if k, s := remoteValue(c); s != "" {
				return k, s
			}
		}
	case []any:
		for _, c := range v {
			if k, s := remoteValue(c); s != "" {
				return k, s
			}
		}
	}
	return "", ""
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// secretGeneratorConfig applies the secretGenerator rules to a builtin
// SecretGenerator config.
func (s *scanner) secretGeneratorConfig(name, dir string, m map[string]any) error {
	meta, _ := m["metadata"].(map[string]any)
	gname, _ := meta["name"].(string)
	src := types.KvPairSources{LiteralSources: strs(m["literals"]), FileSources: strs(m["files"]), EnvSources: strs(m["envs"])}
	if env, ok := m["env"].(string); ok {
		src.EnvSource = env
	}
	if err := s.secretGenerator(name, dir, gname, src); err != nil {
		return err
	}
	for _, p := range sourcePaths(src) {
		if err := s.checkRef(name, dir, ref{field: "SecretGenerator", value: p}); err != nil {
			return err
		}
	}
	return nil
}
