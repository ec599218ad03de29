package cli

import (
	"fmt"
	"github.com/google/go-cmp/cmp"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/keys"
)

// TestComplete runs `seal __complete ...`, the command cobra's completion
// scripts call for every shell, and compares what it prints (one
// completion a line, then :DIRECTIVE) with golden files.
func TestComplete(t *testing.T) {
	dir := t.TempDir()
	var recipients []string
	for range 2 {
		id, err := keys.Generate(keys.X25519)
		if err != nil {
			t.Fatal(err)
		}
		recipients = append(recipients, id.Recipient())
	}
	cryptWrite(t, filepath.Join(dir, ".sops.yaml"), fmt.Sprintf(`creation_rules:
  - path_regex: ^prod/
    age: %s,%s
  - age: %s
`, recipients[0], recipients[1], recipients[0]))
	// Files named like cobra's own commands must not turn them into
	// "seal encrypt FILE".
	for _, name := range []string{"secret.yaml", "__complete", "completion", "help"} {
		cryptWrite(t, filepath.Join(dir, name), "")
	}
	scrub := strings.NewReplacer(recipients[0], "<KEY-0>", recipients[1], "<KEY-1>",
		keys.Fingerprint(recipients[0]), "<FP-0>", keys.Fingerprint(recipients[1]), "<FP-1>")

	for _, tt := range []struct {
		name string
		args []string
	}{
		{"commands and files", []string{"co"}},
		{"commands by prefix", []string{"vers"}},
		{"subcommands", []string{"keys", "li"}},
		{"flags", []string{"decrypt", "--id"}},
		{"encrypt files", []string{"encrypt", ""}},
		{"recipients from sops.yaml", []string{"encrypt", "-r", ""}},
		{"recipients by prefix", []string{"encrypt", "--recipient", scrubPrefix(recipients[1])}},
		{"recipient file", []string{"encrypt", "-r", "@"}},
		{"shorthand flags", []string{"-i", ""}},
		{"shorthand after a file", []string{"secret.yaml", "--rec"}},
		{"decrypt one file", []string{"decrypt", ""}},
		{"decrypt nothing more", []string{"decrypt", "secret.yaml", ""}},
		{"check output", []string{"check", "-o", ""}},
		{"status output", []string{"status", "-o", ""}},
		{"status output jsonpath", []string{"status", "-o", "js"}},
		{"version output", []string{"version", "-o", ""}},
		{"completion shells", []string{"completion", ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runSeal(t, dir, nil, "", append([]string{"__complete"}, tt.args...)...)
			if r.Code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
			}
			golden(t, "complete-"+strings.ReplaceAll(tt.name, " ", "-")+".txt", scrub.Replace(r.Stdout))
		})
	}
}

// scrubPrefix is the start of a recipient, to complete the rest.
func scrubPrefix(r string) string { return r[:10] }

// TestCompletionScripts: `seal completion SHELL` prints cobra's script for
// each shell, which calls seal __complete; the shorthand leaves it alone
// even with a file of that name in the working directory.
func TestCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	cryptWrite(t, filepath.Join(dir, "completion"), "")
	for shell, marker := range map[string]string{
		"bash":       "__complete",
		"zsh":        "#compdef seal",
		"fish":       "__complete",
		"powershell": "Register-ArgumentCompleter",
	} {
		t.Run(shell, func(t *testing.T) {
			r := runSeal(t, dir, nil, "", "completion", shell)
			if r.Code != ExitOK || !strings.Contains(r.Stdout, marker) || r.Stderr != "" {
				t.Errorf("exit %d, stderr %q, stdout lacks %q:\n%.300s", r.Code, r.Stderr, marker, r.Stdout)
			}
		})
	}
}

// TestVersionFlag: seal --version prints the version line; -v stays
// encrypt's --verbose in the shorthand.
func TestVersionFlag(t *testing.T) {
	dir := t.TempDir()
	r := runSeal(t, dir, nil, "", "--version")
	if r.Code != ExitOK || !strings.HasPrefix(r.Stdout, "seal (devel) (") || r.Stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	v := runSeal(t, dir, nil, "", "version")
	if v.Code != ExitOK || "seal:       "+strings.TrimPrefix(r.Stdout, "seal ") != v.Stdout {
		t.Errorf("version: exit %d, stdout %q, want the same as --version %q", v.Code, v.Stdout, r.Stdout)
	}
	f, _, _ := testFactory(dir, nil, "")
	cryptWrite(t, filepath.Join(dir, "s.yaml"), "")
	got, err := expandShorthand(f, newRootCmd(f), []string{"-v", "s.yaml"})
	if err != nil || strings.Join(got, " ") != "encrypt -v s.yaml" {
		t.Errorf("-v s.yaml: %q, %v", got, err)
	}
}

// TestCompleteListOutput: every command that lists things completes -o
// with the same formats, in the same order.
func TestCompleteListOutput(t *testing.T) {
	for _, cmd := range [][]string{
		{"get", "gitsyncs"},
		{"status"},
		{"history", "gitsync", "production"},
		{"keys", "list"},
		{"keys", "usage"},
	} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", append(append([]string{"__complete"}, cmd...), "-o", "")...)
			if r.Code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", r.Code, r.Stderr)
			}
			golden(t, "complete-list-output.txt", r.Stdout)
			r = runSeal(t, t.TempDir(), nil, "", append(append([]string{"__complete"}, cmd...), "--output=j")...)
			if diff := cmp.Diff("json\njsonpath=\njsonpath-as-json=\n:4\n", r.Stdout); diff != "" {
				t.Errorf("--output=j (-want +got):\n%s", diff)
			}
		})
	}
}
