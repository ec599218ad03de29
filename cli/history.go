package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// historyOptions are the flags and argument of seal history gitsync.
type historyOptions struct {
	kubeTarget
	Name      string
	Namespace string
	Output    string
	NoHeaders bool
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
applying), the commit's AUTHOR and SUBJECT. A resync that found what the
last one found adds no entry. -o json and -o yaml print the entries with
the message of each.`,
		Example: `  # What happened to the production GitSync lately
  seal history gitsync production

  # The same as JSON
  seal history gitsync production -n seal-system -o json`,
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
	fl.StringVarP(&opts.Output, "output", "o", "table", "output `FORMAT`: table, json or yaml")
	fl.BoolVar(&opts.NoHeaders, "no-headers", false, "leave out the table's header line")
	opts.addKubeFlags(fl)
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats([]string{"table", "json", "yaml"}))
	return cmd
}

// historyDocument is what -o json and -o yaml print.
type historyDocument struct {
	Namespace string                  `json:"namespace"`
	Name      string                  `json:"name"`
	History   []v1alpha1.HistoryEntry `json:"history"`
}

func runHistory(ctx context.Context, f *Factory, opts *historyOptions) error {
	switch opts.Output {
	case "table", "json", "yaml":
	default:
		return withHint(usagef("--output %q: unknown format", opts.Output), "use table, json or yaml")
	}
	if opts.NoHeaders && opts.Output != "table" {
		return usagef("--no-headers applies only to the table, not to -o %s", opts.Output)
	}
	c, where, err := opts.gitSyncClient(f)
	if err != nil {
		return err
	}
	gs, err := getGitSync(ctx, c, where, client.ObjectKey{Namespace: opts.Namespace, Name: opts.Name})
	if err != nil {
		return err
	}
	doc := historyDocument{Namespace: gs.Namespace, Name: gs.Name, History: gs.Status.History}
	if doc.History == nil {
		doc.History = []v1alpha1.HistoryEntry{}
	}
	switch opts.Output {
	case "json":
		b, err := json.MarshalIndent(doc, "", "    ")
		if err != nil {
			return fmt.Errorf("printing the history of GitSync %s/%s: %w", gs.Namespace, gs.Name, err)
		}
		_, err = fmt.Fprintf(f.IO.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(doc)
		if err != nil {
			return fmt.Errorf("printing the history of GitSync %s/%s: %w", gs.Namespace, gs.Name, err)
		}
		_, err = f.IO.Out.Write(b)
		return err
	}
	if len(doc.History) == 0 {
		fmt.Fprintf(f.IO.Err, "No history for GitSync %s/%s yet: the agent has handled no revision since it was created (or since an agent without history).\n", gs.Namespace, gs.Name)
		return nil
	}
	p := printers.NewTablePrinter(printers.PrintOptions{NoHeaders: opts.NoHeaders})
	if err := p.PrintObj(historyTable(doc.History, f.Now()), f.IO.Out); err != nil {
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
		cells = append(cells, dash(e.Author), dash(e.Subject))
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
