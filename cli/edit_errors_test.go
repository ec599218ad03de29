package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEditErrors(t *testing.T) {
	tests := []struct {
		name   string
		editor string // script body; "" runs no script
		env    map[string]string
		args   []string
		code   int
		ran    bool // the editor must have run (and its directory must be gone)
		want   []string
		// changed, when set, is what the test expects secret.yaml to
		// become (from the editor); otherwise it must be unchanged.
		changed func(enc string) string
	}{
		{name: "editor fails", editor: `sed -i 's/user: admin/user: root/' "$F"; exit 3`, code: ExitFailure, ran: true,
			want: []string{"secret.yaml: the editor (editor.sh) failed (exit status 3); the file was left unchanged"}},
		{name: "invalid YAML", editor: `sed -i 's/^kind: Secret$/kind: [Secret/' "$F"`, code: ExitFailure, ran: true,
			want: []string{"secret.yaml: malformed file", "line", "the file was left unchanged", "run `seal edit secret.yaml` again"}},
		{name: "Secret turned into a ConfigMap", editor: `sed -i '0,/^kind: Secret$/s//kind: ConfigMap/' "$F"`, code: ExitFailure, ran: true,
			want: []string{"secret.yaml: mixed kinds"}},
		{name: "emptied", editor: `: > "$F"`, code: ExitFailure, ran: true,
			want: []string{"the edited text is empty"}},
		{name: "sops metadata added", editor: `printf 'sops:\n    mac: x\n' >> "$F"`, code: ExitFailure, ran: true},
		{name: "file changed meanwhile", editor: `sed -i 's/user: admin/user: root/' "$F"; echo '# meanwhile' >> "$DIR/secret.yaml"`,
			code: ExitFailure, ran: true, want: []string{"secret.yaml: changed on disk while it was being edited"},
			changed: func(enc string) string { return enc + "# meanwhile\n" }},
		{name: "editor not found", env: map[string]string{"EDITOR": "/nonexistent/editor --wait"}, code: ExitFailure,
			want: []string{`running the editor "editor"`, "set EDITOR"}},
		{name: "unbalanced quotes", env: map[string]string{"EDITOR": `code "--wait`}, code: ExitFailure,
			want: []string{"$EDITOR cannot be read as a command line"}},
		{name: "wrong identity", editor: "true", args: []string{"edit", "--identity", "keys/B.txt", "secret.yaml"}, code: ExitFailure,
			want: []string{"no matching identity"}},
		{name: "plaintext file", editor: "true", args: []string{"edit", "--identity", "keys/A.txt", "plain.yaml"}, code: ExitFailure,
			want: []string{"plain.yaml: not encrypted"}},
		{name: "missing file", editor: "true", args: []string{"edit", "--identity", "keys/A.txt", "nothere.yaml"}, code: ExitFailure},
		{name: "stdin", args: []string{"edit", "-"}, code: ExitUsage},
		{name: "no file", args: []string{"edit"}, code: ExitUsage},
	}
	var transcript strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, enc, a := editSetup(t)
			b := newCryptKey(t, filepath.Join(dir, "keys"), "B", 1)
			cryptWrite(t, filepath.Join(dir, "plain.yaml"), cryptTwoSecrets)
			env := map[string]string{}
			var ed editRun
			if tt.editor != "" {
				ed = newEditor(t, "DIR='"+dir+"'\n"+tt.editor)
				env["EDITOR"] = ed.script
			}
			for k, v := range tt.env {
				env[k] = v
			}
			args := tt.args
			if args == nil {
				args = []string{"edit", "--identity", "keys/A.txt", "secret.yaml"}
			}
			r := runSeal(t, dir, env, "", args...)
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d: %s", r.Code, tt.code, cryptRedact(r.Stderr))
			}
			cryptNoLeak(t, tt.name, r)
			for _, w := range tt.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, cryptRedact(r.Stderr))
				}
			}
			if tt.ran {
				ed.assertCleanedUp(t)
			} else if tt.editor != "" {
				if _, _, _, ok := ed.temp(t); ok {
					t.Error("the editor ran")
				}
			}
			want := enc
			if tt.changed != nil {
				want = tt.changed(enc)
			}
			if cryptRead(t, filepath.Join(dir, "secret.yaml")) != want {
				t.Error("secret.yaml was changed")
			}
			transcript.WriteString("# " + tt.name + "\n" + cryptTranscript(args, r, func(s string) string {
				if tt.editor != "" {
					s = strings.ReplaceAll(s, filepath.Dir(ed.script), "<EDITOR-DIR>")
				}
				return cryptScrub(s, dir, a, b)
			}) + "\n")
		})
	}
	golden(t, "edit-errors.txt", transcript.String())
}
