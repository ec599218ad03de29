package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// keysUsageOptions are the flags of seal keys usage.
type keysUsageOptions struct {
	kubeTarget
	Namespace string
	Out       *listOutput
}

func newKeysUsageCmd(f *Factory) *cobra.Command {
	opts := &keysUsageOptions{}
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show which keys the cluster's GitSyncs need for the revisions they applied",
		Long: `Aggregate, across the cluster's GitSyncs (every namespace, or -n), the
decryption keys that opened the files of each GitSync's last applied
revision, as the agent records them in status.decryptionKeys: per key
fingerprint, which GitSyncs used it, at which revision, for how many files.

A key that no GitSync uses is safe to retire (seal keys retire), once every
GitSync has applied a revision: GitSyncs that never applied one are listed,
since what they need is not known yet.

When a file opens with several of the agent's identities, the first one in
the key Secret's order (data keys sorted) is the one counted: a key may show
as used even though a newer one would open the same files. Re-wrap the files
for the new key only (seal keys rotate) to see the old one drop to unused.

The table has a row per key and GitSync (-o wide: the whole REVISION);
the summary goes to stderr. -o json, yaml, name, jsonpath=… and
go-template=… print a KeyList (apiVersion seal.dev/v1alpha1), as seal keys
list does: items of kind Key named by fingerprint, each with cluster
{used, gitSyncs: [{gitSync, revision, files}]}, and the list's cluster
{server, gitSyncs, notSynced}. -o text, the table before, still works with
a warning.`,
		Example: `  # Which keys does production still need?
  seal keys usage --context prod

  # Their fingerprints, one a line
  seal keys usage --context prod -o jsonpath='{range .items[*]}{.fingerprint}{"\n"}{end}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysUsage(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", "", "only GitSyncs in `NAMESPACE` (default: every namespace)")
	opts.Out = addListOutput(cmd, outputText)
	opts.addKubeFlags(cmd.Flags())
	return cmd
}

// keyUsageColumns are the columns of seal keys usage.
var keyUsageColumns = []metav1.TableColumnDefinition{
	{Name: "Key", Type: "string"},
	{Name: "GitSync", Type: "string"},
	{Name: "Revision", Type: "string"},
	{Name: "Files", Type: "integer"},
}

func runKeysUsage(ctx context.Context, f *Factory, opts *keysUsageOptions) error {
	printer, err := opts.Out.printer(f.IO.Err, false)
	if err != nil {
		return err
	}
	u, err := readClusterUsage(ctx, f, opts.kubeTarget, opts.Namespace)
	if err != nil {
		return err
	}
	list := keyList{APIVersion: outputAPIVersion, Kind: kindKeyList, Items: []keyItem{}, Cluster: newClusterRead(u)}
	fps := make([]string, 0, len(u.ByKey))
	for fp := range u.ByKey {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	for _, fp := range fps {
		k := newKeyItem(fp)
		k.Cluster = &recipientCluster{Used: true, GitSyncs: u.ByKey[fp]}
		list.Items = append(list.Items, k)
	}
	if !opts.Out.isTable() {
		obj, err := listObject(&list)
		if err != nil {
			return err
		}
		if err := printer.PrintObj(obj, f.IO.Out); err != nil {
			return fmt.Errorf("printing the keys of the cluster at %s: %w", u.Where, err)
		}
		return nil
	}
	t := &metav1.Table{ColumnDefinitions: keyUsageColumns}
	for _, k := range list.Items {
		for _, g := range k.Cluster.GitSyncs {
			rev := g.Revision
			if !opts.Out.wide() {
				rev = shortRevision(rev)
			}
			t.Rows = append(t.Rows, metav1.TableRow{Cells: []any{k.Fingerprint, g.GitSync, rev, g.Files}})
		}
	}
	if err := printer.PrintObj(t, f.IO.Out); err != nil {
		return fmt.Errorf("printing the keys of the cluster at %s: %w", u.Where, err)
	}
	fmt.Fprintf(f.IO.Err, "cluster %s: %s, %s used\n", u.Where, countOf(len(u.GitSyncs), "GitSync"), countOf(len(list.Items), "key"))
	if len(u.NotSynced) > 0 {
		fmt.Fprintf(f.IO.Err, "never applied a revision, needs unknown: %s\n", strings.Join(u.NotSynced, ", "))
	}
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// shortRevision shortens a commit SHA as the GitSync status does.
func shortRevision(rev string) string {
	return rev[:min(len(rev), v1alpha1.ShortRevisionLength)]
}
