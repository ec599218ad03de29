package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRuleForMatchesSops runs the real sops CLI on a tree of files and
// configs and checks that RuleFor picks the rule whose recipients sops
// encrypted to, or fails where sops finds no rule.
func TestRuleForMatchesSops(t *testing.T) {
	var r [8]string
	for i := range r {
		r[i] = mustGenerate(t, X25519).Recipient()
	}
	hybrid := mustGenerate(t, Hybrid).Recipient()
	root := filepath.Join(t.TempDir(), "repo")
	files := map[string]string{
		".sops.yaml": fmt.Sprintf(`creation_rules:
  - path_regex: ^apps/prod/.*\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: %s
  - path_regex: secret\.enc\.yaml$
    age: [%s, %s]
  - path_regex: ^csv/
    age: " %s , %s, "
  - path_regex: ^groups/
    age: %s
    key_groups:
      - age:
          - %s
        merge:
          - age: ["%s,%s"]
  - path_regex: /outside/
    age: %s
  - path_regex: ^[^/]+\.yaml$
    age: %s
`, r[0], r[1], hybrid, r[2], r[3], r[7], r[4], r[5], r[6], r[7], r[2]),
		"team/.sops.yaml": fmt.Sprintf("# team config\ncreation_rules:\n  - path_regex: ^never$\n    age: %s\n  - age: %s\n", r[0], r[5]),
		".sops.yml":       "creation_rules: [{age: " + r[6] + "}]\n", // sops ignores this name
	}
	for _, f := range []string{"apps/prod/db.yaml", "apps/dev/plain.yaml", "apps/dev/x.secret.enc.yaml", "top.yaml",
		"csv/a.yaml", "groups/g.yaml", "team/t.yaml", "team/deep/d.yaml", "../outside/o.yaml", "../elsewhere/e.yaml"} {
		files[f] = "data:\n    k: dmFsdWU=\n"
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		cwd, file string
		want      []string // nil: no rule
	}{
		{".", "apps/prod/db.yaml", []string{r[0]}},
		{"apps", "prod/db.yaml", []string{r[0]}},                 // config found upward, path relative to it
		{"apps/prod", "db.yaml", []string{r[0]}},                 // two levels up
		{"apps/prod", "../../apps/prod/db.yaml", []string{r[0]}}, // cleaned
		{".", "./apps/../top.yaml", []string{r[2]}},
		{".", "apps/dev/x.secret.enc.yaml", []string{r[1], hybrid}},
		{".", "top.yaml", []string{r[2]}},
		{".", "apps/dev/plain.yaml", nil},
		{".", "csv/a.yaml", []string{r[2], r[3]}},
		{".", "groups/g.yaml", []string{r[5], r[6], r[4]}}, // key_groups replace age; merged groups first
		{".", "../outside/o.yaml", []string{r[7]}},         // outside: matched by absolute path
		{".", "../elsewhere/e.yaml", nil},
		{".", "team/t.yaml", nil},          // sops reads the config of its working directory, not the nearer one
		{"team", "t.yaml", []string{r[5]}}, // catch-all rule of the nearer config
		{"team/deep", "d.yaml", []string{r[5]}},
	}
	for _, tt := range tests {
		t.Run(tt.cwd+"/"+tt.file, func(t *testing.T) {
			cwd := filepath.Join(root, tt.cwd)
			out, sopsErr := runSops(t, cwd, nil, "encrypt", tt.file)
			var sopsGot []string
			if sopsErr == nil {
				sopsGot = sopsRecipients(t, out)
			} else if !strings.Contains(sopsErr.Error(), "no matching creation rules found") {
				t.Fatalf("sops failed unexpectedly: %v", sopsErr)
			}

			cfgPath, err := FindConfig(cwd)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			rule, err := cfg.RuleFor(filepath.Join(cwd, tt.file))
			var got []string
			if err == nil {
				got = rule.Recipients
			} else if !errors.Is(err, ErrNoRule) {
				t.Fatalf("RuleFor: %v", err)
			}
			if diff := cmp.Diff(sopsGot, got); diff != "" {
				t.Errorf("seal and sops disagree (-sops +seal):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recipients (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRuleForErrorsMatchSops checks that RuleFor fails exactly where sops
// fails: a path_regex that does not compile fails only once it is reached,
// a bad recipient or conflicting settings only in the rule picked.
func TestRuleForErrorsMatchSops(t *testing.T) {
	ok := mustGenerate(t, X25519).Recipient()
	dir := t.TempDir()
	config := fmt.Sprintf(`creation_rules:
  - path_regex: ^ok/
    age: %s
  - path_regex: ^badkey/
    age: %s, age1notarecipient
  - path_regex: ^conflict/
    encrypted_regex: ^data$
    unencrypted_suffix: _plain
    age: %s
  - path_regex: "(["
    age: %s
  - age: %s
`, ok, ok, ok, ok, ok)
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(config), 0o644)
	tests := []struct {
		file     string
		wantSops string // "" when sops succeeds
		wantIs   error
	}{
		{"ok/a.yaml", "", nil},
		{"badkey/a.yaml", "failed to parse input", ErrInvalidRecipient},
		{"conflict/a.yaml", "cannot use more than one of", ErrInvalidConfig},
		{"other/a.yaml", "can not compile regexp", ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("data:\n    k: v\n"), 0o644)
			_, sopsErr := runSops(t, dir, nil, "encrypt", tt.file)
			if tt.wantSops == "" && sopsErr != nil || tt.wantSops != "" && (sopsErr == nil || !strings.Contains(sopsErr.Error(), tt.wantSops)) {
				t.Fatalf("sops: %v, want %q", sopsErr, tt.wantSops)
			}
			cfg, err := LoadConfig(filepath.Join(dir, ".sops.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			rule, err := cfg.RuleFor(p)
			if tt.wantIs == nil {
				if err != nil || rule.Recipients[0] != ok {
					t.Fatalf("RuleFor: %v, %v", rule, err)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) || !strings.Contains(err.Error(), filepath.Join(dir, ".sops.yaml")+": creation_rules[") {
				t.Fatalf("RuleFor error %v, want one wrapping %v that names the file and rule", err, tt.wantIs)
			}
		})
	}
}
