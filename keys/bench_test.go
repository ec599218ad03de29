package keys

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkGenerate(b *testing.B) {
	for _, kind := range kinds {
		b.Run(kind.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(kind); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseIdentities parses a ring of three hybrid keys and one
// X25519 key, as the agent does when its key Secret changes.
func BenchmarkParseIdentities(b *testing.B) {
	var data []byte
	for _, k := range []Kind{Hybrid, Hybrid, Hybrid, X25519} {
		data = append(data, mustGenerate(b, k).MarshalText(testTime)...)
	}
	for b.Loop() {
		if _, err := ParseIdentities("ring", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRuleFor matches a file against the last of 50 rules, as
// `seal check` does for every file of a repository.
func BenchmarkRuleFor(b *testing.B) {
	h1, _, x1, _ := fixed(b)
	var cfg strings.Builder
	cfg.WriteString("creation_rules:\n")
	for i := range 50 {
		fmt.Fprintf(&cfg, "  - path_regex: ^clusters/env%d/.*\\.yaml$\n    age: [%s, %s]\n", i, h1, x1)
	}
	c, err := parseConfig("/repo/.sops.yaml", []byte(cfg.String()))
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join("/repo", "clusters/env49/apps/db.yaml")
	for b.Loop() {
		if _, err := c.RuleFor(file); err != nil {
			b.Fatal(err)
		}
	}
}
