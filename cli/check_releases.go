package cli

import (
	"bytes"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// codeWidened marks a notice, not a problem: a HelmRelease that lets its
// sealed values land outside Secrets.
const codeWidened = "widened"

// releaseNotices returns a notice for every HelmRelease in data whose
// spec.sealedValues.allowKinds widens where its sealed values may land.
// Notices are printed but do not fail the check: a widening is allowed,
// and reviewers should see it.
func releaseNotices(name string, data []byte) (out []finding) {
	if !bytes.Contains(data, []byte("HelmRelease")) {
		return nil
	}
	defer func() {
		if recover() != nil {
			out = nil // not YAML seal can read; other checks report it
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return out
		}
		var r struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
			Spec struct {
				SealedValues struct {
					AllowKinds []string `yaml:"allowKinds"`
				} `yaml:"sealedValues"`
			} `yaml:"spec"`
		}
		if doc.Decode(&r) != nil || r.APIVersion != "seal.dev/v1alpha1" || r.Kind != "HelmRelease" || len(r.Spec.SealedValues.AllowKinds) == 0 {
			continue
		}
		out = append(out, finding{File: name, Line: doc.Line, Code: codeWidened, Notice: true,
			Problem: fmt.Sprintf("HelmRelease %s/%s lets its sealed values land in %s data, not only in Secrets (spec.sealedValues.allowKinds)",
				r.Metadata.Namespace, r.Metadata.Name, strings.Join(r.Spec.SealedValues.AllowKinds, ", ")),
			Fix: "a notice, not a problem: check that the chart puts only what may be read there; remove allowKinds to keep the values in Secrets"})
	}
}

// problems counts the findings that are not notices.
func problems(fs []finding) int {
	n := 0
	for _, f := range fs {
		if !f.Notice {
			n++
		}
	}
	return n
}
