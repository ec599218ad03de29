package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/keys"
)

// checkKeys are the keys of the check tests: A and B are in rules, C is not.
type checkKeys struct{ a, b, c *auditKey }

func newCheckKeys(t *testing.T) checkKeys {
	return checkKeys{
		a: newAuditKey(t, keys.X25519, "A"),
		b: newAuditKey(t, keys.X25519, "B"),
		c: newAuditKey(t, keys.X25519, "C"),
	}
}

var macLineRe = regexp.MustCompile(`(?m)^  mac: .*\n`)

// findingAt is what the table tests compare of a finding.
type findingAt struct {
	File string
	Line int
	Code string
	Key  string
}

func TestCheckFindings(t *testing.T) {
	k := newCheckKeys(t)
	rules := auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k.a}})
	tests := []struct {
		name  string
		files map[string]string // path → content; "" for .sops.yaml means none
		args  []string
		want  []findingAt
	}{{
		name: "clean: encrypted Secret up to date, ConfigMap, plain non-manifests",
		files: map[string]string{
			".sops.yaml":         rules,
			"secrets/db.yaml":    auditEncrypt(t, "db.yaml", auditPlainSecret, k.a),
			"app/configmap.yaml": auditConfigMap,
			"app/values.json":    `{"replicas": 2}`,
			"README.md":          "kind: Secret\n",
		},
	}, {
		name:  "plaintext stringData value, empty value aside",
		files: map[string]string{".sops.yaml": rules, "secrets/db.yaml": auditPlainSecret},
		want:  []findingAt{{"secrets/db.yaml", 8, codePlaintext, "stringData.password"}},
	}, {
		name: "plaintext data value in a JSON Secret",
		files: map[string]string{".sops.yaml": rules, "secrets/db.json": `{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {"name": "db"},
  "data": {"password": "aHVudGVyMg=="}
}
`},
		want: []findingAt{{"secrets/db.json", 5, codePlaintext, "data.password"}},
	}, {
		name:  "a Secret with only empty values is not a finding",
		files: map[string]string{".sops.yaml": rules, "secrets/db.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  a: \"\"\ndata:\n  b:\n"},
	}, {
		name: "plaintext Secret among other kinds",
		files: map[string]string{".sops.yaml": rules,
			"secrets/all.yaml": auditConfigMap + "---\n" + auditPlainSecret},
		want: []findingAt{{"secrets/all.yaml", 15, codePlaintext, "stringData.password"}},
	}, {
		name: "encrypted file without a MAC",
		files: map[string]string{".sops.yaml": rules,
			"secrets/db.yaml": macLineRe.ReplaceAllString(auditEncrypt(t, "db.yaml", auditPlainSecret, k.a), "")},
		want: []findingAt{{"secrets/db.yaml", 12, codeNoMAC, ""}},
	}, {
		name: "recipients stale after a key was added to the rule",
		files: map[string]string{
			".sops.yaml":      auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k.a, k.b}}),
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, k.a)},
		want: []findingAt{{"secrets/db.yaml", 12, codeStale, ""}},
	}, {
		name: "recipients stale after a key was dropped from the rule",
		files: map[string]string{".sops.yaml": rules,
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, k.a, k.c)},
		want: []findingAt{{"secrets/db.yaml", 12, codeStale, ""}},
	}, {
		name: "no rule covers an encrypted file or a plaintext Secret",
		files: map[string]string{".sops.yaml": rules,
			"other/db.yaml":    auditEncrypt(t, "db.yaml", auditPlainSecret, k.a),
			"other/plain.yaml": strings.Replace(auditPlainSecret, "password: "+auditSecretValue, "password: \"\"", 1)},
		want: []findingAt{{"other/db.yaml", 12, codeNoRule, ""}, {"other/plain.yaml", 2, codeNoRule, ""}},
	}, {
		name:  "no .sops.yaml at all",
		files: map[string]string{"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, k.a)},
		want:  []findingAt{{"secrets/db.yaml", 12, codeNoRule, ""}},
	}, {
		name: "a value added in plaintext to an encrypted file",
		files: map[string]string{".sops.yaml": rules,
			"secrets/db.yaml": strings.Replace(auditEncrypt(t, "db.yaml", auditPlainSecret, k.a),
				"stringData:\n", "stringData:\n  added: "+auditSecretValue+"\n", 1)},
		want: []findingAt{{"secrets/db.yaml", 10, codeUnencrypted, "stringData.added"}},
	}, {
		name: "a .sops.yaml rule sops cannot use is reported once, on the .sops.yaml",
		files: map[string]string{
			".sops.yaml":     "creation_rules:\n  - path_regex: ^secrets/\n    age: not-a-recipient\n",
			"secrets/a.yaml": auditPlainSecret, "secrets/b.yaml": auditPlainSecret},
		want: []findingAt{
			{".sops.yaml", 2, codeInvalidConfig, ""},
			{"secrets/a.yaml", 8, codePlaintext, "stringData.password"},
			{"secrets/b.yaml", 8, codePlaintext, "stringData.password"},
		},
	}, {
		name: "a rule with keys seal does not manage",
		files: map[string]string{
			".sops.yaml":      "creation_rules:\n  - path_regex: ^secrets/\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n",
			"secrets/db.yaml": auditEncrypt(t, "db.yaml", auditPlainSecret, k.a)},
		want: []findingAt{{"secrets/db.yaml", 12, codeUnmanagedRule, ""}},
	}, {
		name: "an unparseable file that looks like a Secret; a Helm template is left alone",
		files: map[string]string{".sops.yaml": rules,
			"secrets/broken.yaml":         "kind: Secret\nstringData:\n  password: [" + auditSecretValue + "\n",
			"chart/templates/secret.yaml": "kind: Secret\nstringData:\n  password: {{ .Values.password }\n"},
		want: []findingAt{{"secrets/broken.yaml", 1, codeMalformed, ""}},
	}, {
		name: "a file named on the command line is checked whatever its extension",
		files: map[string]string{".sops.yaml": rules,
			"secrets/db.txt": auditPlainSecret, "secrets/other.txt": auditPlainSecret},
		args: []string{"secrets/db.txt"},
		want: []findingAt{{"secrets/db.txt", 8, codePlaintext, "stringData.password"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				auditWrite(t, filepath.Join(dir, name), content)
			}
			r := runSeal(t, dir, nil, "", append([]string{"check", "-o", "json"}, tt.args...)...)
			auditNoLeak(t, r)
			var report checkReport
			if err := json.Unmarshal([]byte(r.Stdout), &report); err != nil {
				t.Fatalf("output is not JSON: %v\n%s%s", err, r.Stdout, r.Stderr)
			}
			var got []findingAt
			for _, f := range report.Findings {
				got = append(got, findingAt{f.File, f.Line, f.Code, f.Key})
				if f.Problem == "" || f.Fix == "" {
					t.Errorf("finding %+v lacks a problem or a fix", f)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			wantCode := ExitOK
			if len(tt.want) > 0 {
				wantCode = ExitFailure
			}
			if r.Code != wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, wantCode, r.Stderr)
			}
		})
	}
}

// checkRepo is a repository with one problem of each kind, for the goldens.
func checkRepo(t *testing.T) (string, checkKeys) {
	k := newCheckKeys(t)
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(
		auditRule{`^secrets/`, []*auditKey{k.a, k.b}},
		auditRule{`^legacy/`, []*auditKey{k.a}},
	))
	auditWrite(t, filepath.Join(dir, "secrets/ok.yaml"), auditEncrypt(t, "ok.yaml", auditPlainSecret, k.a, k.b))
	auditWrite(t, filepath.Join(dir, "secrets/plain.yaml"), auditPlainSecret)
	auditWrite(t, filepath.Join(dir, "secrets/stale.yaml"), auditEncrypt(t, "stale.yaml", auditPlainSecret, k.a, k.c))
	auditWrite(t, filepath.Join(dir, "legacy/nomac.yaml"),
		macLineRe.ReplaceAllString(auditEncrypt(t, "nomac.yaml", auditPlainSecret, k.a), ""))
	auditWrite(t, filepath.Join(dir, "apps/db.yaml"), auditEncrypt(t, "db.yaml", auditPlainSecret, k.a))
	auditWrite(t, filepath.Join(dir, "apps/settings.yaml"), auditConfigMap)
	return dir, k
}

func TestCheckGolden(t *testing.T) {
	dir, k := checkRepo(t)
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"check.txt", []string{"check"}},
		{"check.json", []string{"check", "-o", "json"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			r := runSeal(t, dir, nil, "", tt.args...)
			auditNoLeak(t, r)
			if r.Code != ExitFailure || r.Stderr != "" {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, ExitFailure, r.Stderr)
			}
			golden(t, tt.golden, auditScrub(r.Stdout, dir, k.a, k.b, k.c))
		})
	}
}

func TestCheckClean(t *testing.T) {
	k := newCheckKeys(t)
	dir := t.TempDir()
	auditWrite(t, filepath.Join(dir, ".sops.yaml"), auditSopsConfig(auditRule{`^secrets/`, []*auditKey{k.a}}))
	auditWrite(t, filepath.Join(dir, "secrets/db.yaml"), auditEncrypt(t, "db.yaml", auditPlainSecret, k.a))
	auditWrite(t, filepath.Join(dir, "app/settings.yaml"), auditConfigMap)
	auditWrite(t, filepath.Join(dir, ".git/config.yaml"), auditPlainSecret) // never walked
	auditWrite(t, filepath.Join(dir, "node_modules/x/secret.yaml"), auditPlainSecret)
	r := runSeal(t, dir, nil, "", "check")
	if diff := cmp.Diff(cliRun{Stdout: "checked 2 files: no problems\n"}, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	r = runSeal(t, filepath.Join(dir, "secrets"), nil, "", "check", "-o", "json")
	if diff := cmp.Diff(cliRun{Stdout: "{\n  \"checked\": 1,\n  \"findings\": []\n}\n"}, r); diff != "" {
		t.Errorf("from a subdirectory, with the .sops.yaml of a parent (-want +got):\n%s", diff)
	}
}

func TestCheckUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args       []string
		code       int
		wantStderr string
	}{
		{[]string{"check", "-o", "yaml"}, ExitUsage, "seal: error: -o \"yaml\": unknown output format; use text or json\n"},
		{[]string{"check", "--bogus"}, ExitUsage, "seal: error: unknown flag: --bogus\n"},
		{[]string{"check", "missing"}, ExitFailure, "seal: error: missing: no such file or directory\n"},
	} {
		r := runSeal(t, dir, nil, "", tt.args...)
		if diff := cmp.Diff(cliRun{Stderr: tt.wantStderr, Code: tt.code}, r); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, diff)
		}
	}
}
