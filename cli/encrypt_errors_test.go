package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

const cryptMixed = cryptConfigMap + "---\n" + `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ` + cryptValue + "\n"

func TestEncryptErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string // "KEY-A" stands for A's recipient, "SECRET-A" for its private key
		stdin string
		files map[string]string // "RULE:regex" content is a .sops.yaml rule for A
		code  int
		want  []string // in stderr
	}{
		{name: "no path", args: []string{"encrypt"}, code: ExitUsage},
		{name: "missing file", args: []string{"encrypt", "-i", "nothere.yaml"}, code: ExitFailure,
			want: []string{"seal: error: nothere.yaml: no such file or directory"}},
		{name: "shorthand missing file", args: []string{"apps/nothere.yaml"}, code: ExitFailure,
			want: []string{"apps/nothere.yaml: no such file or directory"}},
		{name: "mistyped command", args: []string{"ecnrypt", "-i", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{`unknown command "ecnrypt" for "seal"`, "encrypt"}},
		{name: "unknown word", args: []string{"frobnicate"}, code: ExitUsage,
			want: []string{`unknown command "frobnicate" for "seal"`}},
		{name: "no recipients and no sops config", args: []string{"encrypt", "-i", "secret.yaml"}, code: ExitFailure,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"secret.yaml: no recipients", "-r RECIPIENT", "seal keys fetch --update-config"}},
		{name: "no rule matches", args: []string{"encrypt", "-i", "secret.yaml"}, code: ExitFailure,
			files: map[string]string{"secret.yaml": cryptTwoSecrets, ".sops.yaml": "RULE:^prod/"},
			want:  []string{"secret.yaml: no recipients", "no matching creation rule", "seal keys fetch --update-config"}},
		{name: "rule without age keys", args: []string{"encrypt", "-i", "secret.yaml"}, code: ExitFailure,
			files: map[string]string{"secret.yaml": cryptTwoSecrets, ".sops.yaml": "creation_rules:\n  - pgp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n"},
			want:  []string{"secret.yaml: ", "pgp"}},
		{name: "bad recipient", args: []string{"encrypt", "-r", "age1notarecipient", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"-r/--recipient", "invalid recipient"}},
		{name: "private key as recipient", args: []string{"encrypt", "-r", "SECRET-A", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"secret key"}},
		{name: "recipients file missing", args: []string{"encrypt", "-r", "@team.txt", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"team.txt"}},
		{name: "mixed kinds", args: []string{"encrypt", "-i", "-r", "KEY-A", "all.yaml"}, code: ExitFailure,
			files: map[string]string{"all.yaml": cryptMixed},
			want:  []string{"all.yaml: mixed kinds", "keep Secrets in their own files"}},
		{name: "no namespace", args: []string{"encrypt", "-i", "-r", "KEY-A", "db.yaml"}, code: ExitFailure,
			files: map[string]string{"db.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: " + cryptValue + "\n"},
			want:  []string{"db.yaml: ", "no metadata.namespace", "give it with --namespace"}},
		{name: "mixed kinds in a walk", args: []string{"encrypt", "-i", "-r", "KEY-A", "apps"}, code: ExitFailure,
			files: map[string]string{"apps/all.yaml": cryptMixed, "apps/db.yaml": cryptTwoSecrets},
			want:  []string{"apps/all.yaml: mixed kinds", "encrypted 1 file, 1 failed"}},
		{name: "not a secret", args: []string{"encrypt", "-r", "KEY-A", "settings.yaml"}, code: ExitFailure,
			files: map[string]string{"settings.yaml": cryptConfigMap},
			want:  []string{"settings.yaml: not a Kubernetes Secret"}},
		{name: "broken secret", args: []string{"encrypt", "-r", "KEY-A", "secret.yaml"}, code: ExitFailure,
			files: map[string]string{"secret.yaml": "kind: Secret\nstringData:\n  password: [" + cryptValue + "\n"},
			want:  []string{"secret.yaml: malformed file", "line"}},
		{name: "broken secret in a walk", args: []string{"encrypt", "-i", "-r", "KEY-A", "apps"}, code: ExitFailure,
			files: map[string]string{"apps/secret.yaml": "kind: Secret\nstringData:\n  password: [" + cryptValue + "\n"},
			want:  []string{"apps/secret.yaml: malformed file", "encrypted 0 files, 1 failed"}},
		{name: "several files without -i", args: []string{"encrypt", "-r", "KEY-A", "a.yaml", "b.yaml"}, code: ExitUsage,
			files: map[string]string{"a.yaml": cryptTwoSecrets, "b.yaml": cryptTwoSecrets},
			want:  []string{"2 files given", "pass -i"}},
		{name: "directory without -i", args: []string{"encrypt", "-r", "KEY-A", "apps"}, code: ExitUsage,
			files: map[string]string{"apps/a.yaml": cryptTwoSecrets},
			want:  []string{"apps: is a directory", "pass -i"}},
		{name: "stdin in place", args: []string{"encrypt", "-i", "-r", "KEY-A", "-"}, code: ExitUsage, stdin: cryptTwoSecrets,
			want: []string{"-: stdin cannot be encrypted in place"}},
		{name: "stdin without a rule", args: []string{"encrypt", "-"}, code: ExitFailure, stdin: cryptTwoSecrets,
			files: map[string]string{".sops.yaml": "RULE:^apps/"},
			want:  []string{"<stdin>: no recipients", "--filename-override"}},
		{name: "filename override without stdin", args: []string{"encrypt", "--filename-override", "x.yaml", "-r", "KEY-A", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"--filename-override only applies to stdin"}},
		{name: "release without a namespace", args: []string{"encrypt", "-r", "KEY-A", "--release", "shop", "values.yaml"}, code: ExitFailure,
			files: map[string]string{"values.yaml": "db:\n  password: x\n"},
			want:  []string{`--release "shop": want NAMESPACE/NAME`, "Helm release"}},
		{name: "release and bind-secret", args: []string{"encrypt", "-r", "KEY-A", "--release", "prod/shop", "--bind-secret", "prod/app", "values.yaml"}, code: ExitUsage,
			files: map[string]string{"values.yaml": "db:\n  password: x\n"},
			want:  []string{"--bind-secret and --release", "not both"}},
		{name: "unknown flag", args: []string{"encrypt", "--bogus", "secret.yaml"}, code: ExitUsage,
			files: map[string]string{"secret.yaml": cryptTwoSecrets},
			want:  []string{"unknown flag: --bogus"}},
	}
	var transcript strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := newCryptKey(t, t.TempDir(), "A", keys.Hybrid)
			for name, content := range tt.files {
				if regex, ok := strings.CutPrefix(content, "RULE:"); ok {
					content = cryptRule(regex, a)
				}
				cryptWrite(t, filepath.Join(dir, name), content)
			}
			secret := strings.TrimSpace(strings.SplitAfter(cryptRead(t, a.file), "\n")[2])
			args := make([]string, len(tt.args))
			for i, arg := range tt.args {
				args[i] = strings.NewReplacer("KEY-A", a.recipient(), "SECRET-A", secret).Replace(arg)
			}
			r := runSeal(t, dir, nil, tt.stdin, args...)
			cryptNoLeak(t, tt.name, r)
			if strings.Contains(r.Stderr, secret) {
				t.Error("a private key was printed")
			}
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.Code, tt.code, cryptRedact(r.Stderr))
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, cryptRedact(r.Stderr))
				}
			}
			if !strings.HasPrefix(r.Stderr, "seal: error: ") && !strings.Contains(r.Stderr, "\nseal: error: ") {
				t.Errorf("no seal: error: line:\n%s", cryptRedact(r.Stderr))
			}
			for name, content := range tt.files {
				if name != "apps/db.yaml" && !strings.HasPrefix(content, "RULE:") && cryptRead(t, filepath.Join(dir, name)) != content {
					t.Errorf("%s was changed", name)
				}
			}
			transcript.WriteString("# " + tt.name + "\n" + cryptTranscript(tt.args, r, func(s string) string {
				return strings.ReplaceAll(cryptScrub(s, dir, a), secret, "<SECRET-A>")
			}) + "\n")
		})
	}
	golden(t, "encrypt-errors.txt", transcript.String())
}
