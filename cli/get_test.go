package cli

import (
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// TestGetGitSyncs prints GitSyncs through cli-runtime's printers: the
// table (NAMESPACE added by -A, wide columns by -o wide), and the objects
// as json, yaml, name and jsonpath.
func TestGetGitSyncs(t *testing.T) {
	c := fakeGitSyncs(t, interceptor.Funcs{}, gitSyncFixtures()...)
	for _, tt := range []struct {
		name   string
		args   []string
		golden string // of stdout; "" for none
		code   int
		stderr string // contained in stderr; "" for none
	}{
		{"default namespace", nil, "get-gitsyncs.txt", ExitOK, ""},
		{"alias gs", []string{"-n", "team-b"}, "get-gitsyncs-team-b.txt", ExitOK, ""},
		{"every namespace", []string{"-A"}, "get-gitsyncs-all.txt", ExitOK, ""},
		{"wide", []string{"-A", "-o", "wide"}, "get-gitsyncs-wide.txt", ExitOK, ""},
		{"no headers", []string{"--no-headers"}, "get-gitsyncs-no-headers.txt", ExitOK, ""},
		{"one by name", []string{"staging"}, "get-gitsyncs-one.txt", ExitOK, ""},
		{"name", []string{"-A", "-o", "name"}, "get-gitsyncs-name.txt", ExitOK, ""},
		{"json list", []string{"-n", "team-b", "-o", "json"}, "get-gitsyncs.json", ExitOK, ""},
		{"yaml object", []string{"production", "-o", "yaml"}, "get-gitsyncs-object.yaml", ExitOK, ""},
		{"jsonpath", []string{"-A", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.lastAppliedRevision}{\"\\n\"}{end}"}, "get-gitsyncs-jsonpath.txt", ExitOK, ""},
		{"empty namespace", []string{"-n", "nobody"}, "", ExitOK, "No GitSyncs found in namespace nobody.\n"},
		{"unknown name", []string{"nope"}, "", ExitFailure, "seal: error: GitSync \"nope\" not found in namespace seal-system of the cluster at test\nseal: hint: seal get gitsyncs -A lists the GitSyncs of every namespace\n"},
		{"name with -A", []string{"nope", "-A"}, "", ExitUsage, "a NAME cannot be combined with -A/--all-namespaces"},
		{"bad output", []string{"-o", "table"}, "", ExitUsage, "seal: error: --output \"table\": unknown format\n"},
		{"no headers with json", []string{"-o", "json", "--no-headers"}, "", ExitUsage, "--no-headers applies only to the table"},
		{"two names", []string{"a", "b"}, "", ExitUsage, "seal get gitsyncs takes at most one NAME, got 2 arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kind := "gitsyncs"
			if tt.name == "alias gs" {
				kind = "gs"
			}
			r := runSealWith(t, c, append([]string{"get", kind}, tt.args...)...)
			if r.Code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			if tt.stderr == "" && r.Stderr != "" || !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", r.Stderr, tt.stderr)
			}
			if tt.golden == "" {
				if r.Stdout != "" {
					t.Errorf("stdout %q, want none", r.Stdout)
				}
				return
			}
			golden(t, tt.golden, scrubObjectMeta(r.Stdout))
		})
	}
}

// TestKindGroups: seal get, reconcile, suspend and resume take the kind as
// their first word and say which kinds there are when it is missing or
// unknown.
func TestKindGroups(t *testing.T) {
	for _, cmd := range []string{"get", "reconcile", "suspend", "resume"} {
		r := runSeal(t, t.TempDir(), nil, "", cmd)
		want := "seal: error: seal " + cmd + " needs the kind of object: gitsync\n"
		if r.Code != ExitUsage || !strings.HasPrefix(r.Stderr, want) {
			t.Errorf("seal %s: exit %d, stderr %q, want it to start with %q", cmd, r.Code, r.Stderr, want)
		}
		r = runSeal(t, t.TempDir(), nil, "", cmd, "deployment", "x")
		want = "seal: error: seal " + cmd + ": unknown kind \"deployment\"; the kinds are: gitsync\n"
		if r.Code != ExitUsage || !strings.HasPrefix(r.Stderr, want) {
			t.Errorf("seal %s deployment: exit %d, stderr %q, want it to start with %q", cmd, r.Code, r.Stderr, want)
		}
	}
}

// TestGitSyncCommandsHelp keeps the help of the GitSync commands in
// golden files.
func TestGitSyncCommandsHelp(t *testing.T) {
	for _, args := range [][]string{{"get", "gitsyncs"}, {"reconcile", "gitsync"}, {"suspend", "gitsync"}, {"resume", "gitsync"}} {
		t.Run(args[0], func(t *testing.T) {
			r := runSeal(t, t.TempDir(), nil, "", append(args, "--help")...)
			if r.Code != ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			golden(t, args[0]+"-gitsync-help.txt", r.Stdout)
		})
	}
}
