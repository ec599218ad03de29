package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// historyFixture is GitSync seal-system/production with three entries:
// the newest applied, one failed before applying, one applied with
// deletions; and seal-system/fresh with none.
func historyFixture() *v1alpha1.GitSync {
	at := func(ago time.Duration) metav1.Time { return metav1.NewTime(statusTime.Add(-ago)) }
	return fixtureGitSync("seal-system", "production", 72*time.Hour,
		v1alpha1.GitSyncSpec{URL: "ssh://git@git.example.com/acme/fleet.git", Path: "clusters/prod"},
		func(gs *v1alpha1.GitSync) {
			gs.Status.History = []v1alpha1.HistoryEntry{
				{Revision: "2222222222222222222222222222222222222222", Author: "Ann Example", Subject: "fix the shop's config",
					Time: at(5 * time.Minute), Outcome: v1alpha1.OutcomeApplied, Reason: v1alpha1.ReasonSucceeded,
					Message: "Applied revision 222222222222 (12 objects)", Counts: &v1alpha1.HistoryCounts{Configured: 1, Unchanged: 11}},
				{Revision: "1111111111111111111111111111111111111111", Author: "Bob", Subject: "break the shop",
					Time: at(2 * time.Hour), Outcome: v1alpha1.OutcomeFailed, Reason: v1alpha1.ReasonRenderFailed,
					Message: "clusters/prod/shop.yaml: yaml: line 3: did not find expected key"},
				{Revision: "0000000000000000000000000000000000000000", Author: "Ann Example", Subject: "first",
					Time: at(48 * time.Hour), Outcome: v1alpha1.OutcomeApplied, Reason: v1alpha1.ReasonSucceeded,
					Message: "Applied revision 000000000000 (12 objects)", Counts: &v1alpha1.HistoryCounts{Created: 12, Deleted: 2}},
			}
		})
}

// TestHistoryGitSync prints status.history as a table, JSON and YAML, and
// says what is wrong with bad arguments.
func TestHistoryGitSync(t *testing.T) {
	fresh := fixtureGitSync("seal-system", "fresh", time.Minute, v1alpha1.GitSyncSpec{URL: "https://git.example.com/acme/fleet.git"}, nil)
	c := fakeGitSyncs(t, interceptor.Funcs{}, historyFixture(), fresh)
	for _, tt := range []struct {
		name   string
		args   []string
		golden string // of stdout; "" for none
		code   int
		stderr string // contained in stderr; "" for none
	}{
		{"table", []string{"production"}, "history-gitsync.txt", ExitOK, ""},
		{"no headers", []string{"production", "--no-headers", "-n", "seal-system"}, "history-gitsync-no-headers.txt", ExitOK, ""},
		{"wide", []string{"production", "-o", "wide"}, "history-gitsync-wide.txt", ExitOK, ""},
		{"table, deprecated", []string{"production", "-o", "table"}, "history-gitsync.txt", ExitOK, "seal: warning: -o table is deprecated: the table is the default, without -o\n"},
		{"json", []string{"production", "-o", "json"}, "history-gitsync.json", ExitOK, ""},
		{"yaml", []string{"production", "-o", "yaml"}, "history-gitsync.yaml", ExitOK, ""},
		{"name", []string{"production", "-o", "name"}, "history-gitsync-name.txt", ExitOK, ""},
		{"jsonpath", []string{"production", "-o", `jsonpath={range .items[?(@.outcome=="Failed")]}{.revision} {.reason}{"\n"}{end}`}, "history-gitsync-jsonpath.txt", ExitOK, ""},
		{"go-template", []string{"production", "-o", `go-template={{.gitSync.namespace}}/{{.gitSync.name}}: {{len .items}} entries{{"\n"}}`}, "history-gitsync-go-template.txt", ExitOK, ""},
		{"empty json", []string{"fresh", "-o", "json"}, "history-gitsync-empty.json", ExitOK, ""},
		{"empty table", []string{"fresh"}, "", ExitOK, "No history for GitSync seal-system/fresh yet"},
		{"unknown", []string{"nope"}, "", ExitFailure, "GitSync seal-system/nope not found in the cluster at test"},
		{"other namespace", []string{"production", "-n", "team-b"}, "", ExitFailure, "GitSync team-b/production not found"},
		{"bad output", []string{"production", "-o", "text"}, "", ExitUsage, "--output \"text\": unknown format"},
		{"no headers with json", []string{"production", "-o", "json", "--no-headers"}, "", ExitUsage, "--no-headers applies only to the table"},
		{"no name", nil, "", ExitUsage, "seal history gitsync takes one NAME, got 0 arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runSealWith(t, c, append([]string{"history", "gitsync"}, tt.args...)...)
			if r.Code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", r.Code, tt.code, r.Stderr)
			}
			if tt.stderr == "" && r.Stderr != "" || !strings.Contains(r.Stderr, tt.stderr) || strings.Contains(tt.name, "deprecated") && r.Stderr != tt.stderr {
				t.Errorf("stderr %q, want %q", r.Stderr, tt.stderr)
			}
			if tt.golden == "" {
				if r.Stdout != "" {
					t.Errorf("stdout %q, want none", r.Stdout)
				}
				return
			}
			golden(t, tt.golden, r.Stdout)
		})
	}
}

func TestHistoryHelp(t *testing.T) {
	r := runSeal(t, t.TempDir(), nil, "", "history", "gitsync", "--help")
	if r.Code != ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	golden(t, "history-gitsync-help.txt", r.Stdout)
}
