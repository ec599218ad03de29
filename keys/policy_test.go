package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePolicy(t *testing.T) {
	a, b := mustGenerate(t, X25519).Recipient(), mustGenerate(t, Hybrid).Recipient()
	tests := []struct {
		name         string
		data         string
		wantRequire  []PolicyEntry
		wantForbid   []PolicyEntry
		wantErrMatch string // "" for no error
	}{{
		name: "no seal section",
		data: "creation_rules:\n  - age: " + a + "\n",
	}, {
		name:        "require and forbid lists; fingerprints; comma-separated strings",
		data:        "seal:\n  policy:\n    require:\n      - " + a + "\n    forbid: " + Fingerprint(b) + ", " + b + "\ncreation_rules: []\n",
		wantRequire: []PolicyEntry{{Key: a, Line: 4}},
		wantForbid:  []PolicyEntry{{Key: Fingerprint(b), Line: 5}, {Key: b, Line: 5}},
	}, {
		name: "empty policy",
		data: "seal:\n  policy:\n",
	}, {
		name:         "unknown field in the section",
		data:         "seal:\n  polcy:\n    require: [" + a + "]\n",
		wantErrMatch: "line 2: unknown field seal.polcy",
	}, {
		name:         "unknown field in the policy",
		data:         "seal:\n  policy:\n    requires: [" + a + "]\n",
		wantErrMatch: "line 3: unknown field seal.policy.requires; use require or forbid",
	}, {
		name:         "not a recipient",
		data:         "seal:\n  policy:\n    require: [age1nope]\n",
		wantErrMatch: `line 3: seal.policy.require: invalid recipient "age1nope"`,
	}, {
		name:         "a secret key is refused without echoing it",
		data:         "seal:\n  policy:\n    require: [AGE-SECRET-KEY-1QQQQ]\n",
		wantErrMatch: "this is a secret key",
	}, {
		name:         "required and forbidden at once",
		data:         "seal:\n  policy:\n    require: [" + a + "]\n    forbid: [" + Fingerprint(a) + "]\n",
		wantErrMatch: "line 4: " + Fingerprint(a) + " is both required and forbidden",
	}, {
		name:         "section not a mapping",
		data:         "seal: strict\n",
		wantErrMatch: "line 1: the seal section must be a mapping",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig("repo/.sops.yaml", []byte(tt.data))
			if tt.wantErrMatch != "" {
				if !errors.Is(err, ErrInvalidConfig) || !strings.HasPrefix(err.Error(), "repo/.sops.yaml: ") ||
					!strings.Contains(err.Error(), tt.wantErrMatch) {
					t.Fatalf("err = %v, want ErrInvalidConfig naming the file and saying %q", err, tt.wantErrMatch)
				}
				if strings.Contains(err.Error(), "AGE-SECRET-KEY-1QQQQ") {
					t.Errorf("error echoes a secret key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantRequire, cfg.Policy.Require); diff != "" {
				t.Errorf("require (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantForbid, cfg.Policy.Forbid); diff != "" {
				t.Errorf("forbid (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPolicyViolations(t *testing.T) {
	glass, agent, old := mustGenerate(t, X25519).Recipient(), mustGenerate(t, Hybrid).Recipient(), mustGenerate(t, X25519).Recipient()
	p := &Policy{
		Require: []PolicyEntry{{Key: glass, Line: 3}},
		Forbid:  []PolicyEntry{{Key: Fingerprint(old), Line: 5}},
	}
	tests := []struct {
		name          string
		recipients    []string
		wantMissing   []PolicyEntry
		wantForbidden []ForbiddenRecipient
	}{
		{"complies", []string{agent, glass}, nil, nil},
		{"recipient matched whatever its case and spaces", []string{" " + strings.ToUpper(glass) + " "}, nil, nil},
		{"break-glass key missing", []string{agent}, []PolicyEntry{{Key: glass, Line: 3}}, nil},
		{"forbidden key by fingerprint", []string{glass, old},
			nil, []ForbiddenRecipient{{Recipient: old, Entry: PolicyEntry{Key: Fingerprint(old), Line: 5}}}},
		{"no recipients at all", nil, []PolicyEntry{{Key: glass, Line: 3}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, forbidden := p.Violations(tt.recipients)
			if diff := cmp.Diff(tt.wantMissing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantForbidden, forbidden); diff != "" {
				t.Errorf("forbidden (-want +got):\n%s", diff)
			}
		})
	}
	var none *Policy
	if m, f := none.Violations([]string{agent}); m != nil || f != nil || !none.Empty() {
		t.Error("a nil policy should require and forbid nothing")
	}
}

func TestRuleViolations(t *testing.T) {
	glass, agent, old := mustGenerate(t, X25519).Recipient(), mustGenerate(t, X25519).Recipient(), mustGenerate(t, X25519).Recipient()
	data := "seal:\n  policy:\n    require: [" + glass + "]\n    forbid: [" + old + "]\n" +
		"creation_rules:\n" +
		"  - path_regex: ^prod/\n    age: " + agent + "," + glass + "\n" +
		"  - path_regex: ^staging/\n    age: " + agent + "\n" +
		"  - path_regex: ^legacy/\n    age: " + glass + "," + old + "\n" +
		"  - path_regex: ^pgp/\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n"
	cfg, err := parseConfig("repo/.sops.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Index, Line        int
		Missing, Forbidden []string
	}
	var gots []got
	for _, v := range cfg.RuleViolations() {
		g := got{Index: v.Rule.Index, Line: v.Rule.Line}
		for _, m := range v.Missing {
			g.Missing = append(g.Missing, m.Key)
		}
		for _, f := range v.Forbidden {
			g.Forbidden = append(g.Forbidden, f.Recipient)
		}
		gots = append(gots, g)
	}
	want := []got{
		{Index: 1, Line: 8, Missing: []string{glass}},
		{Index: 2, Line: 10, Forbidden: []string{old}},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("rule violations (-want +got):\n%s", diff)
	}
}

// TestSopsIgnoresSealSection proves that the real sops CLI uses a
// .sops.yaml with a seal section as if it were not there.
func TestSopsIgnoresSealSection(t *testing.T) {
	dir := t.TempDir()
	id, glass := mustGenerate(t, X25519), mustGenerate(t, X25519)
	config := "seal:\n  policy:\n    require: [" + glass.Recipient() + "]\n    forbid: [" + Fingerprint(id.Recipient()) + "]\n" +
		"creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: " + DefaultEncryptedRegex + "\n    age: " + id.Recipient() + "\n"
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte(secretManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	enc, err := runSops(t, dir, nil, "encrypt", "secret.yaml")
	if err != nil {
		t.Fatalf("sops encrypt with a seal section in %s: %v", ConfigName, err)
	}
	if diff := cmp.Diff([]string{id.Recipient()}, sopsRecipients(t, enc)); diff != "" {
		t.Errorf("sops recipients (-want +got):\n%s", diff)
	}
}
