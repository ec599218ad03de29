package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupConfig(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/b/c", "yml/inner", "both"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "a", ".sops.yaml"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "yml", ".sops.yml"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "both", ".sops.yml"), nil, 0o644)
	os.WriteFile(filepath.Join(root, "both", ".sops.yaml"), nil, 0o644)
	tests := []struct {
		dir     string
		want    ConfigLookup
		wantErr string
	}{
		{"a", ConfigLookup{Path: filepath.Join(root, "a/.sops.yaml")}, ""},
		{"a/b/c", ConfigLookup{Path: filepath.Join(root, "a/.sops.yaml")}, ""},
		{"both", ConfigLookup{Path: filepath.Join(root, "both/.sops.yaml")}, ""},
		{".", ConfigLookup{}, "no .sops.yaml found in it or any parent directory"},
		{"yml/inner", ConfigLookup{Ignored: filepath.Join(root, "yml/.sops.yml")},
			filepath.Join(root, "yml/.sops.yml") + " exists, but sops only reads .sops.yaml: rename it"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := LookupConfig(filepath.Join(root, tt.dir))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lookup (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrNoConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q wrapping ErrNoConfig", err, tt.wantErr)
			}
		})
	}
	if path, err := FindConfig(filepath.Join(root, "a/b")); err != nil || path != filepath.Join(root, "a/.sops.yaml") {
		t.Errorf("FindConfig = %q, %v", path, err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"yaml syntax", "creation_rules:\n  - path_regex: a\n\t- age: b\n", "line 2: found a tab character"},
		{"rules not a list", "creation_rules:\n  path_regex: a\n", "cannot unmarshal"},
		{"path_regex not a string", "creation_rules:\n  - path_regex: [a]\n", "line 2"},
		{"key group age not a list", "creation_rules:\n  - key_groups:\n      - age: abc\n", "line 3"},
		{"stores indent not a number", "stores:\n  yaml:\n    indent: wide\n", "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig("repo/.sops.yaml", []byte(tt.data))
			if !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "repo/.sops.yaml: ") ||
				!strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to wrap ErrInvalidConfig, start with the file and say %q", err, tt.want)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), ".sops.yaml")); !errors.Is(err, ErrNoConfig) {
		t.Errorf("LoadConfig of a missing file: %v, want ErrNoConfig", err)
	}
}

func TestRuleFor(t *testing.T) {
	_, _, x1, x2 := fixed(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		config   string
		file     string // relative to dir
		want     *Rule
		wantIs   error
		wantText string
	}{
		{"empty file has no rules", "", "a.yaml", nil, ErrNoRule, "the file has no creation_rules"},
		{"null rules", "creation_rules:\n", "a.yaml", nil, ErrNoRule, "has no creation_rules"},
		{"empty rule list", "creation_rules: []\n", "a.yaml", nil, ErrNoRule, `(matched as "a.yaml" against 0 path_regex)`},
		{"first match wins", "creation_rules:\n  - path_regex: \\.yaml$\n    age: " + x1 + "\n  - path_regex: a\n    age: " + x2 + "\n",
			"a.yaml", &Rule{Index: 0, Line: 2, PathRegex: `\.yaml$`, Recipients: []string{x1}}, nil, ""},
		{"rule without path_regex matches all", "creation_rules:\n  - path_regex: ^x\n    age: " + x1 + "\n  - age: " + x2 + "\n    encrypted_regex: ^data$\n",
			"deep/a.yaml", &Rule{Index: 1, Line: 4, Recipients: []string{x2}, EncryptedRegex: "^data$"}, nil, ""},
		{"duplicates dropped, order kept", "creation_rules:\n  - age: [" + x2 + ", '" + x1 + "," + x2 + "']\n",
			"a.yaml", &Rule{Line: 2, Recipients: []string{x2, x1}}, nil, ""},
		{"mixed age and pgp", "creation_rules:\n  - age: " + x1 + "\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n",
			"a.yaml", &Rule{Line: 2, Recipients: []string{x1}, OtherKeys: []string{"pgp"}}, nil, ""},
		{"key groups counted", "creation_rules:\n  - key_groups:\n      - age: [" + x1 + "]\n      - age: [" + x2 + "]\n        kms: [{arn: a}]\n",
			"a.yaml", &Rule{Line: 2, Recipients: []string{x1, x2}, OtherKeys: []string{"kms"}, KeyGroups: 2}, nil, ""},
		{"pgp only: rule and error", "creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n    kms: arn:aws:kms:x\n",
			"a.yaml", &Rule{Line: 2, OtherKeys: []string{"pgp", "kms"}}, ErrUnmanagedRule,
			"creation_rules[0] (line 2) uses pgp, kms, which seal does not manage"},
		{"no keys at all", "creation_rules:\n  - path_regex: a\n", "a.yaml", &Rule{Line: 2, PathRegex: "a"}, ErrUnmanagedRule, "has no keys"},
		{"age of the wrong type", "creation_rules:\n  - age: {a: b}\n", "a.yaml", nil, ErrInvalidConfig, "age: expected a string or a list"},
		{"later bad rules do not matter", "creation_rules:\n  - age: " + x1 + "\n  - path_regex: '['\n    age: nope\n",
			"a.yaml", &Rule{Line: 2, Recipients: []string{x1}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, ".sops.yaml")
			cfg, err := parseConfig(path, []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.RuleFor(filepath.Join(dir, tt.file))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
			if tt.wantIs == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %v\nwant it to wrap %v, start with the file and say %q", err, tt.wantIs, tt.wantText)
			}
		})
	}
}
