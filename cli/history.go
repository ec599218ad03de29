package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// historyOptions are the flags and argument of seal history gitsync.
type historyOptions struct {
	kubeTarget
	Name      string
	Namespace string
	Out       *listOutput
}

func newHistoryCmd(f *Factory) *cobra.Command {
	return kindGroupCmd("history", "Show the revisions seal-agent handled last", newHistoryGitSyncCmd(f))
}

func newHistoryGitSyncCmd(f *Factory) *cobra.Command {
	opts := &historyOptions{}
	cmd := &cobra.Command{
		Use:     "gitsync NAME",
		Aliases: gitSyncAliases,
		Short:   "Show the last revisions a GitSync handled: author, subject, outcome and counts",
		Long: `Show the last ten revisions the agent handled for a GitSync, newest first,
from its status.history: REVISION, AGE (when the sync finished), OUTCOME
(Applied or Failed), REASON (the Ready reason), the objects CREATED,
CONFIGURED, UNCHANGED and DELETED ("-" when the sync stopped before
applying), the commit's AUTHOR and SUBJECT; -o wide adds the MESSAGE of
each. A resync that found what the last one found adds no entry.

-o json, yaml, name, jsonpath=… and go-template=… print a HistoryEntryList
(apiVersion seal.dev/v1alpha1): gitSync {namespace, name}, and items of
kind HistoryEntry named by their revision, with revision, author, subject,
time, outcome, reason, message and counts. -o table, the table before,
still works with a warning.`,
		Example: `  # What happened to the production GitSync lately
  seal history gitsync production

  # The same as JSON
  seal history gitsync production -n seal-system -o json

  # The revisions that failed
  seal history gitsync production -o jsonpath='{range .items[?(@.outcome=="Failed")]}{.revision}{"\n"}{end}'`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("seal history gitsync takes one NAME, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runHistory(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Namespace, "namespace", "n", defaultAgentNamespace, "the GitSync's `NAMESPACE`")
	opts.Out = addListOutput(cmd, "table")
	opts.addKubeFlags(fl)
	return cmd
}

func runHistory(ctx context.Context, f *Factory, opts *historyOptions) error {
	printer, err := opts.Out.printer(f.IO.Err, false)
	if err != nil {
		return err
	}
	c, where, err := opts.gitSyncClient(f)
	if err != nil {
		return err
	}
	gs, err := getGitSync(ctx, c, where, client.ObjectKey{Namespace: opts.Namespace, Name: opts.Name})
	if err != nil {
		return err
	}
	var obj runtime.Object
	if opts.Out.isTable() {
		if len(gs.Status.History) == 0 {
			fmt.Fprintf(f.IO.Err, "No history for GitSync %s/%s yet: the agent has handled no revision since it was created (or since an agent without history).\n", gs.Namespace, gs.Name)
			return nil
		}
		obj = historyTable(gs.Status.History, f.Now())
	} else {
		list := historyList{APIVersion: outputAPIVersion, Kind: kindHistoryEntryList,
			GitSync: gitSyncRef{Namespace: gs.Namespace, Name: gs.Name}, Items: []historyItem{}}
		for _, e := range gs.Status.History {
			list.Items = append(list.Items, historyItem{APIVersion: outputAPIVersion, Kind: kindHistoryEntry,
				Metadata: objectName{Name: e.Revision}, HistoryEntry: e})
		}
		if obj, err = listObject(&list); err != nil {
			return err
		}
	}
	if err := printer.PrintObj(obj, f.IO.Out); err != nil {
		return fmt.Errorf("printing the history of GitSync %s/%s: %w", gs.Namespace, gs.Name, err)
	}
	return nil
}

var historyColumns = []metav1.TableColumnDefinition{
	{Name: "Revision", Type: "string"},
	{Name: "Age", Type: "string"},
	{Name: "Outcome", Type: "string"},
	{Name: "Reason", Type: "string"},
	{Name: "Created", Type: "string"},
	{Name: "Configured", Type: "string"},
	{Name: "Unchanged", Type: "string"},
	{Name: "Deleted", Type: "string"},
	{Name: "Author", Type: "string"},
	{Name: "Subject", Type: "string"},
	{Name: "Message", Type: "string", Priority: 1},
}

// historyTable lays the entries out for cli-runtime's table printer;
// now dates AGE.
func historyTable(entries []v1alpha1.HistoryEntry, now time.Time) *metav1.Table {
	t := &metav1.Table{ColumnDefinitions: historyColumns}
	for _, e := range entries {
		counts := []any{"-", "-", "-", "-"}
		if c := e.Counts; c != nil {
			counts = []any{itoa(c.Created), itoa(c.Configured), itoa(c.Unchanged), itoa(c.Deleted)}
		}
		cells := append([]any{shortSHA(e.Revision), age(e.Time, now), e.Outcome, dash(e.Reason)}, counts...)
		cells = append(cells, dash(e.Author), dash(e.Subject), dash(e.Message))
		t.Rows = append(t.Rows, metav1.TableRow{Cells: cells})
	}
	return t
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
