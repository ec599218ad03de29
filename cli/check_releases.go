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

// checkedRelease is a HelmRelease seal check read.
type checkedRelease struct {
	File            string // as shown
	Line            int
	Namespace, Name string
	AllowKinds      []string
	ValuesFiles     []string // repository paths, from its root
}

// readReleases returns the HelmReleases (seal.dev/v1alpha1) of data.
func readReleases(name string, data []byte) (out []checkedRelease) {
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
				ValuesFiles  []string `yaml:"valuesFiles"`
				SealedValues struct {
					AllowKinds []string `yaml:"allowKinds"`
				} `yaml:"sealedValues"`
			} `yaml:"spec"`
		}
		if doc.Decode(&r) != nil || r.APIVersion != "seal.dev/v1alpha1" || r.Kind != "HelmRelease" {
			continue
		}
		out = append(out, checkedRelease{File: name, Line: doc.Line, Namespace: r.Metadata.Namespace, Name: r.Metadata.Name,
			AllowKinds: r.Spec.SealedValues.AllowKinds, ValuesFiles: r.Spec.ValuesFiles})
	}
}

// releaseNotices returns a notice for every HelmRelease in data whose
// spec.sealedValues.allowKinds widens where its sealed values may land.
// Notices are printed but do not fail the check: a widening is allowed,
// and reviewers should see it.
func releaseNotices(name string, data []byte) (out []finding) {
	for _, r := range readReleases(name, data) {
		if len(r.AllowKinds) == 0 {
			continue
		}
		out = append(out, finding{File: name, Line: r.Line, Code: codeWidened, Notice: true,
			Problem: fmt.Sprintf("HelmRelease %s/%s lets its sealed values land in %s data, not only in Secrets (spec.sealedValues.allowKinds)",
				r.Namespace, r.Name, strings.Join(r.AllowKinds, ", ")),
			Fix: "a notice, not a problem: check that the chart puts only what may be read there; remove allowKinds to keep the values in Secrets"})
	}
	return out
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
