package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// keysUsageOptions are the flags of seal keys usage.
type keysUsageOptions struct {
	kubeTarget
	Namespace string
	Output    string
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

With -o json: {"cluster", "gitSyncs": [...], "notSynced": [...],
"keys": [{"fingerprint", "gitSyncs": [{"gitSync", "revision", "files"}]}]}.`,
		Example: `  # Which keys does production still need?
  seal keys usage --context prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysUsage(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", "", "only GitSyncs in `NAMESPACE` (default: every namespace)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output `FORMAT`: text or json")
	opts.addKubeFlags(cmd.Flags())
	return cmd
}

// usageReport is the JSON form of seal keys usage.
type usageReport struct {
	Cluster   string     `json:"cluster"`
	GitSyncs  []string   `json:"gitSyncs"`
	NotSynced []string   `json:"notSynced"`
	Keys      []usageKey `json:"keys"`
}

type usageKey struct {
	Fingerprint string   `json:"fingerprint"`
	GitSyncs    []keyUse `json:"gitSyncs"`
}

func runKeysUsage(ctx context.Context, f *Factory, opts *keysUsageOptions) error {
	if err := validAuditOutput(opts.Output); err != nil {
		return err
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	u, err := readClusterUsage(ctx, f, wd, opts.kubeTarget, opts.Namespace)
	if err != nil {
		return err
	}
	report := usageReport{Cluster: u.Where, GitSyncs: orEmpty(u.GitSyncs), NotSynced: orEmpty(u.NotSynced), Keys: []usageKey{}}
	fps := make([]string, 0, len(u.ByKey))
	for fp := range u.ByKey {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	for _, fp := range fps {
		report.Keys = append(report.Keys, usageKey{Fingerprint: fp, GitSyncs: u.ByKey[fp]})
	}
	if opts.Output == outputJSON {
		return writeJSON(f.IO.Out, report)
	}
	w := &stickyWriter{w: f.IO.Out}
	if len(report.Keys) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tGITSYNC\tREVISION\tFILES")
		for _, k := range report.Keys {
			for _, g := range k.GitSyncs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", k.Fingerprint, g.GitSync, shortRevision(g.Revision), g.Files)
			}
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "cluster %s: %s, %s used\n", u.Where, countOf(len(u.GitSyncs), "GitSync"), countOf(len(report.Keys), "key"))
	if len(u.NotSynced) > 0 {
		fmt.Fprintf(w, "never applied a revision, needs unknown: %s\n", strings.Join(u.NotSynced, ", "))
	}
	return w.err
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
