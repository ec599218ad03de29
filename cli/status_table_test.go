package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// Pure unit tests of the table: no cluster is needed to format rows.

func TestGitSyncRow(t *testing.T) {
	base := func(mod func(*v1alpha1.GitSync)) *v1alpha1.GitSync {
		gs := &v1alpha1.GitSync{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gs", Generation: 2},
			Spec:       v1alpha1.GitSyncSpec{URL: "https://h/r.git"},
		}
		mod(gs)
		return gs
	}
	cond := func(typ string, status metav1.ConditionStatus, gen int64, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: status, ObservedGeneration: gen, Message: msg}
	}
	for _, tt := range []struct {
		name  string
		gs    *v1alpha1.GitSync
		want  statusRow
		ready bool
	}{
		{"never synced", base(func(*v1alpha1.GitSync) {}),
			row6("ns", "gs", "https://h/r.git@main", "-", "Unknown", "not synced yet: waiting for seal-agent"), false},
		{"first sync running", base(func(gs *v1alpha1.GitSync) {
			gs.Status.Conditions = []metav1.Condition{cond(v1alpha1.ConditionReconciling, "True", 2, "Fetching branch main")}
		}), row6("ns", "gs", "https://h/r.git@main", "-", "Unknown", "Fetching branch main"), false},
		{"ready", base(func(gs *v1alpha1.GitSync) {
			gs.Spec.Ref.Tag = "v1"
			gs.Status.SetLastAppliedRevision("0123456789abcdef")
			gs.Status.Conditions = []metav1.Condition{cond(v1alpha1.ConditionReady, "True", 2, "Applied")}
		}), row6("ns", "gs", "https://h/r.git@v1", "0123456789ab", "True", "Applied"), true},
		{"ready for an older spec", base(func(gs *v1alpha1.GitSync) {
			gs.Status.Conditions = []metav1.Condition{cond(v1alpha1.ConditionReady, "True", 1, "Applied")}
		}), row6("ns", "gs", "https://h/r.git@main", "-", "Unknown",
			"spec changed, waiting for seal-agent to sync it; last sync: Applied"), false},
		{"failed, message on several lines", base(func(gs *v1alpha1.GitSync) {
			gs.Spec.Ref.Commit = "89abcdef0123456789abcdef0123456789abcdef"
			gs.Status.Conditions = []metav1.Condition{cond(v1alpha1.ConditionReady, "False", 2, "a.yaml: bad\n  b.yaml:\tworse\n")}
		}), row6("ns", "gs", "https://h/r.git@89abcdef0123", "-", "False", "a.yaml: bad b.yaml: worse"), false},
		{"suspended", base(func(gs *v1alpha1.GitSync) {
			gs.Spec.Suspend = true
			gs.Status.Conditions = []metav1.Condition{cond(v1alpha1.ConditionReady, "True", 2, "Applied")}
		}), row6("ns", "gs", "https://h/r.git@main", "-", "True", "suspended; Applied"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, gitSyncRow(tt.gs), cmpopts.IgnoreFields(statusRow{}, "Path", "Suspended", "Attempted")); diff != "" {
				t.Errorf("row (-want +got):\n%s", diff)
			}
			if got := gitSyncReady(tt.gs); got != tt.ready {
				t.Errorf("ready %v, want %v", got, tt.ready)
			}
		})
	}
}

// row6 is a row of the default table (the -o wide columns left empty).
func row6(namespace, name, source, revision, ready, message string) statusRow {
	return statusRow{Namespace: namespace, Name: name, Source: source, Revision: revision, Ready: ready, Message: message}
}

func TestStatusTable(t *testing.T) {
	rows := []statusRow{
		row6("seal-system", "main", "ssh://h/r.git@main", "0123456789ab", "True", "Applied revision 0123456789ab (3 objects)"),
		row6("apps", "x", "https://h/x.git@v1", "-", "False", "fetching: authentication required"),
	}
	later := row6("a-much-longer-namespace", "x", "https://h/x.git@v1", "-", "Unknown", "Fetching")
	for _, tt := range []struct {
		name       string
		namespaces bool
		maxWidth   int
		noHeaders  bool
		want       string
	}{
		{"no terminal: messages whole", true, 0, false, `
NAMESPACE    NAME  URL@REF             REVISION      READY    MESSAGE
seal-system  main  ssh://h/r.git@main  0123456789ab  True     Applied revision 0123456789ab (3 objects)
apps         x     https://h/x.git@v1  -             False    fetching: authentication required
a-much-longer-namespace  x     https://h/x.git@v1  -             Unknown  Fetching
`},
		{"terminal of 90 columns: messages cut", true, 90, false, `
NAMESPACE    NAME  URL@REF             REVISION      READY    MESSAGE
seal-system  main  ssh://h/r.git@main  0123456789ab  True     Applied revision 0123456789…
apps         x     https://h/x.git@v1  -             False    fetching: authentication re…
a-much-longer-namespace  x     https://h/x.git@v1  -             Unknown  Fetching
`},
		{"--no-headers", false, 0, true, `
main  ssh://h/r.git@main  0123456789ab  True     Applied revision 0123456789ab (3 objects)
x     https://h/x.git@v1  -             False    fetching: authentication required
x     https://h/x.git@v1  -             Unknown  Fetching
`},
		{"narrow terminal: messages keep 20 characters", false, 40, false, `
NAME  URL@REF             REVISION      READY    MESSAGE
main  ssh://h/r.git@main  0123456789ab  True     Applied revision 01…
x     https://h/x.git@v1  -             False    fetching: authentic…
x     https://h/x.git@v1  -             Unknown  Fetching
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			table := &statusTable{w: &out, namespaces: tt.namespaces, maxWidth: tt.maxWidth, noHeaders: tt.noHeaders}
			table.printHeader(rows)
			for _, r := range append(rows, later) {
				table.printRow(r)
			}
			if diff := cmp.Diff(strings.TrimPrefix(tt.want, "\n"), out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTerminalWidth(t *testing.T) {
	for _, tt := range []struct {
		name     string
		terminal bool
		columns  string
		want     int
	}{
		{"not a terminal", false, "120", 0},
		{"terminal of unknown size, $COLUMNS", true, "120", 120},
		{"terminal of unknown size, no $COLUMNS", true, "", 80},
		{"terminal, bad $COLUMNS", true, "wide", 80},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t.TempDir(), map[string]string{"COLUMNS": tt.columns}, "")
			f.IO.OutTerminal = tt.terminal
			if got := terminalWidth(f); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
