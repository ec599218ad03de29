package keys

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// placeholders maps {{h1}}… in test files to the fixed recipients, which
// keeps the golden files readable (a hybrid recipient is ~1,950 characters).
func placeholders(t testing.TB) *strings.Replacer {
	h1, h2, x1, x2 := fixed(t)
	return strings.NewReplacer("{{h1}}", h1, "{{h2}}", h2, "{{x1}}", x1, "{{x2}}", x2)
}

func collapse(t *testing.T, s string) string {
	h1, h2, x1, x2 := fixed(t)
	return strings.NewReplacer(h1, "{{h1}}", h2, "{{h2}}", x1, "{{x1}}", x2, "{{x2}}").Replace(s)
}

var oldTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func TestUpsertRuleGolden(t *testing.T) {
	expand := placeholders(t)
	tests := []struct {
		name       string // testdata/upsert/<name>.in.yaml, .golden.yaml
		pathRegex  string
		recipients []string
		sample     string // a file the rule must match
		untouched  bool   // the first run must not write either
	}{
		{"missing-file", `^clusters/dev/.*\.yaml$`, []string{"{{h1}}", "{{x1}}"}, "clusters/dev/a.yaml", false},
		{"comments-only", `^clusters/dev/`, []string{"{{h1}}"}, "clusters/dev/a.yaml", false},
		{"add-no-rules-key", `^a/`, []string{"{{x1}}"}, "a/b.yaml", false},
		{"add-before-catch-all", `^clusters/staging/.*\.yaml$`, []string{"{{h1}}", "{{h2}}"}, "clusters/staging/db.yaml", false},
		{"add-at-end", `^clusters/dev/`, []string{"{{x2}}", "{{h1}}", "{{x2}}"}, "clusters/dev/a.yaml", false},
		{"update-comma-string", `^clusters/staging/.*\.yaml$`, []string{"{{h1}}", "{{h2}}"}, "clusters/staging/db.yaml", false},
		{"update-list", `^clusters/staging/.*\.yaml$`, []string{"{{h2}}"}, "clusters/staging/db.yaml", false},
		{"unchanged-other-order", `^clusters/staging/.*\.yaml$`, []string{"{{x1}}", "{{x2}}", "{{h1}}"}, "clusters/staging/db.yaml", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ConfigName)
			in, err := os.ReadFile(filepath.Join("testdata/upsert", tt.name+".in.yaml"))
			if err == nil {
				writeOld(t, path, []byte(expand.Replace(string(in))))
			} else if tt.name != "missing-file" {
				t.Fatal(err)
			}
			var want []string
			for _, r := range tt.recipients {
				want = append(want, expand.Replace(r))
			}
			if err := UpsertRule(path, tt.pathRegex, want); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.untouched {
				assertUntouched(t, path, []byte(expand.Replace(string(in))))
			}
			golden := filepath.Join("testdata/upsert", tt.name+".golden.yaml")
			if *update {
				os.WriteFile(golden, []byte(collapse(t, string(got))), 0o644)
			}
			wantText, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(wantText), collapse(t, string(got))); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}

			cfg, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			rule, err := cfg.RuleFor(filepath.Join(dir, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(want, rule.Recipients) || rule.PathRegex != tt.pathRegex {
				t.Errorf("the rule for %s is %q with %d recipients, want %q with %d", tt.sample, rule.PathRegex, len(rule.Recipients), tt.pathRegex, len(want))
			}

			// A second run changes nothing, not even the modification time.
			writeOld(t, path, got)
			if err := UpsertRule(path, tt.pathRegex, want); err != nil {
				t.Fatal(err)
			}
			assertUntouched(t, path, got)
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%d entries in the directory, want only %s", len(entries), ConfigName)
			}
		})
	}
}

func writeOld(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, oldTime, oldTime); err != nil {
		t.Fatal(err)
	}
}

func assertUntouched(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s changed:\n%s", path, collapse(t, string(got)))
	}
	if fi, err := os.Stat(path); err != nil || !fi.ModTime().Equal(oldTime) {
		t.Errorf("%s was rewritten (modification time changed)", path)
	}
}

func TestUpsertRuleErrors(t *testing.T) {
	_, _, x1, _ := fixed(t)
	secret := mustGenerate(t, X25519).secret()
	tests := []struct {
		name       string
		existing   string
		pathRegex  string
		recipients []string
		wantIs     error
		wantText   string
	}{
		{"no recipients", "", "^a/", nil, ErrNoRecipient, "needs at least one recipient"},
		{"invalid recipient", "", "^a/", []string{x1, "age1bogus"}, ErrInvalidRecipient, `invalid recipient "age1bogus"`},
		{"secret key as recipient", "", "^a/", []string{secret}, ErrInvalidRecipient, "this is a secret key"},
		{"bad regex", "", "(", []string{x1}, ErrInvalidConfig, "does not compile"},
		{"empty regex", "", "", []string{x1}, ErrInvalidConfig, "path_regex is required"},
		{"broken yaml", "creation_rules:\n\t- x\n", "^a/", []string{x1}, ErrInvalidConfig, "fix it before seal edits it"},
		{"top level list", "- a\n", "^a/", []string{x1}, ErrInvalidConfig, "top level is not a mapping"},
		{"rules not a list", "creation_rules: {a: b}\n", "^a/", []string{x1}, ErrInvalidConfig, "creation_rules is not a list"},
		{"key groups", "creation_rules:\n  - path_regex: ^a/\n    key_groups:\n      - age: [" + x1 + "]\n", "^a/", []string{x1},
			ErrUnmanagedRule, "creation_rules[0] (line 2): creation rule not managed by seal: it uses key_groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ConfigName)
			if tt.existing != "" {
				writeOld(t, path, []byte(tt.existing))
			}
			err := UpsertRule(path, tt.pathRegex, tt.recipients)
			if !errors.Is(err, tt.wantIs) || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v\nwant it to wrap %v, start with the file and say %q", err, tt.wantIs, tt.wantText)
			}
			assertNoSecret(t, err.Error(), secret)
			if tt.existing == "" {
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created", path)
				}
			} else {
				assertUntouched(t, path, []byte(tt.existing))
			}
		})
	}
}

// TestUpsertRuleReadBySops checks with the real sops CLI that a file
// UpsertRule edited picks the recipients it wrote, and keeps the others.
func TestUpsertRuleReadBySops(t *testing.T) {
	h1, h2, x1, x2 := fixed(t)
	dir := t.TempDir()
	in, err := os.ReadFile("testdata/upsert/add-before-catch-all.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ConfigName)
	writeOld(t, path, []byte(placeholders(t).Replace(string(in))))
	if err := UpsertRule(path, `^clusters/staging/.*\.yaml$`, []string{h1, h2}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want []string
	}{
		{"clusters/staging/db.yaml", []string{h1, h2}},
		{"clusters/prod/db.yaml", []string{x1}},
		{"other/db.yaml", []string{x2}},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.file)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("data:\n    k: dmFsdWU=\n"), 0o644)
		out, err := runSops(t, dir, nil, "encrypt", tt.file)
		if err != nil {
			t.Fatalf("sops encrypt %s: %v", tt.file, err)
		}
		if diff := cmp.Diff(tt.want, sopsRecipients(t, out)); diff != "" {
			t.Errorf("%s: sops recipients (-want +got):\n%s", tt.file, diff)
		}
	}
}
