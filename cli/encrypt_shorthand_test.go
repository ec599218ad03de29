package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandShorthand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"secret.yaml", "decrypt", "notes"} {
		cryptWrite(t, filepath.Join(dir, name), "")
	}
	if err := os.Mkdir(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	enc := func(args ...string) []string { return append([]string{"encrypt"}, args...) }
	tests := []struct {
		args    []string
		want    []string
		wantErr string
	}{
		{args: nil, want: nil},
		{args: []string{"secret.yaml"}, want: enc("secret.yaml")},
		{args: []string{"notes"}, want: enc("notes")},
		{args: []string{"apps"}, want: enc("apps")},
		{args: []string{"-i", "secret.yaml"}, want: enc("-i", "secret.yaml")},
		{args: []string{"-r", "age1x", "secret.yaml"}, want: enc("-r", "age1x", "secret.yaml")},
		{args: []string{"-ir", "age1x", "apps"}, want: enc("-ir", "age1x", "apps")},
		{args: []string{"--recipient", "age1x", "apps"}, want: enc("--recipient", "age1x", "apps")},
		{args: []string{"--recipient=age1x", "apps"}, want: enc("--recipient=age1x", "apps")},
		{args: []string{"-rage1x", "apps"}, want: enc("-rage1x", "apps")},
		{args: []string{"--", "secret.yaml"}, want: enc("--", "secret.yaml")},
		{args: []string{"-"}, want: enc("-")},
		{args: []string{"missing.yaml"}, want: enc("missing.yaml")},
		{args: []string{"apps/missing"}, want: enc("apps/missing")},
		{args: []string{"./decrypt"}, want: enc("./decrypt")},
		{args: []string{"decrypt"}, want: []string{"decrypt"}}, // the command wins over the file
		{args: []string{"encrypt", "-i", "apps"}, want: []string{"encrypt", "-i", "apps"}},
		{args: []string{"keys", "list"}, want: []string{"keys", "list"}},
		{args: []string{"help", "encrypt"}, want: []string{"help", "encrypt"}},
		{args: []string{"completion", "bash"}, want: []string{"completion", "bash"}},
		{args: []string{"--help"}, want: []string{"--help"}},
		{args: []string{"-i"}, want: []string{"-i"}},
		{args: []string{"-i", "keys"}, want: []string{"-i", "keys"}},
		{args: []string{"ecnrypt", "x.yaml"}, wantErr: `unknown command "ecnrypt" for "seal"`},
		{args: []string{"-i", "nothere"}, wantErr: `unknown command "nothere" for "seal"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(dir, nil, "")
			got, err := expandShorthand(f, newRootCmd(f), tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
