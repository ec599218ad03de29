package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// keysListOptions are the flags and arguments of seal keys list.
type keysListOptions struct {
	kubeTarget
	Paths        []string
	Out          *listOutput
	ClusterUsage bool
	Namespace    string
}

func newKeysListCmd(f *Factory) *cobra.Command {
	opts := &keysListOptions{}
	cmd := &cobra.Command{
		Use:   "list [PATH...]",
		Short: "Show who can decrypt which encrypted file",
		Long: `List the recipients of every encrypted file under PATH (files, or
directories walked for .yaml, .yml and .json files; default: the working
directory): for each file the recipients its data key is wrapped for, and
for each recipient how many files it opens and which. Files whose
recipients differ from their .sops.yaml creation rule are flagged:
` + "`seal keys rotate`" + ` brings them in line. Recipients that files are wrapped for
but no creation rule names any more are flagged stale.

With --cluster-usage, the GitSyncs of the cluster (kubectl's flags choose
it; -n limits them to a namespace) say which keys opened the files of their
last applied revision: each recipient shows whether the cluster still uses
it, and in which GitSyncs.

The table has a row per file and recipient (RULE says whether the file's
creation rule agrees), then a row per recipient; -o wide adds each file's
STATUS and each recipient's FINGERPRINT. The summary goes to stderr. Long
post-quantum recipients are abbreviated with their fingerprint.

-o json, yaml, name, jsonpath=… and go-template=… print a KeyList
(apiVersion seal.dev/v1alpha1): items of kind Key, one per recipient,
named by its fingerprint ("seal keys list -o name" prints
key.seal.dev/sha256:… a line), with fingerprint, recipient (whole),
files, stale and (with --cluster-usage) cluster {used, gitSyncs:
[{gitSync, revision, files}]}; beside the items, files: [{file,
recipients, status, rule: {config, index, line, recipients}, add, remove,
otherKeys, problem}] and, with --cluster-usage, cluster {server,
gitSyncs, notSynced}. status is one of up-to-date, differs, no-rule,
unmanaged-rule, invalid-config, malformed. -o text, the table before,
still works with a warning.`,
		Example: `  # Who can decrypt what in this repository
  seal keys list

  # Every file the cluster's key opens, for a script
  seal keys list -o json | jq -r '.items[] | select(.recipient == "age1…") | .files[]'

  # The fingerprints of the recipients no rule names any more
  seal keys list -o jsonpath='{range .items[?(@.stale==true)]}{.fingerprint}{"\n"}{end}'

  # Which recipients the production cluster still uses
  seal keys list --cluster-usage --context prod`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runKeysList(cmd.Context(), f, opts)
		},
	}
	opts.Out = addListOutput(cmd, outputText)
	cmd.Flags().BoolVar(&opts.ClusterUsage, "cluster-usage", false, "also show which recipients the cluster's GitSyncs still use")
	cmd.Flags().StringVarP(&opts.Namespace, "namespace", "n", "", "with --cluster-usage: only GitSyncs in `NAMESPACE` (default: every namespace)")
	opts.addKubeFlags(cmd.Flags())
	return cmd
}

// Status values of a listed file.
const (
	statusUpToDate = "up-to-date"
	statusDiffers  = "differs"
)

// listedFile is one encrypted file, as seal keys list -o json prints it
// beside the keys.
type listedFile struct {
	File       string      `json:"file"`
	Recipients []string    `json:"recipients"`
	Status     string      `json:"status"`
	Rule       *listedRule `json:"rule,omitempty"`
	Add        []string    `json:"add,omitempty"`
	Remove     []string    `json:"remove,omitempty"`
	OtherKeys  []string    `json:"otherKeys,omitempty"`
	Problem    string      `json:"problem,omitempty"`
}

type listedRule struct {
	Config     string   `json:"config"`
	Index      int      `json:"index"`
	Line       int      `json:"line,omitempty"`
	Recipients []string `json:"recipients"`
}

// listedRecipient is one recipient and the files it opens.
type listedRecipient struct {
	Recipient   string
	Fingerprint string
	Count       int
	Files       []string
	Stale       bool // no creation rule names it
	Cluster     *recipientCluster
}

// recipientCluster is whether the cluster's GitSyncs still use a recipient.
type recipientCluster struct {
	Used     bool     `json:"used"`
	GitSyncs []keyUse `json:"gitSyncs"`
}

// keysReport is what seal keys list found.
type keysReport struct {
	Files      []listedFile
	Recipients []listedRecipient
	cluster    *clusterUsage // with --cluster-usage
}

// runKeysList runs seal keys list. A file that cannot be read is listed
// with its problem and gives exit status 1 once everything is printed.
func runKeysList(ctx context.Context, f *Factory, opts *keysListOptions) error {
	printer, err := opts.Out.printer(f.IO.Err, false)
	if err != nil {
		return err
	}
	if opts.Namespace != "" && !opts.ClusterUsage {
		return usagef("-n/--namespace chooses GitSyncs for --cluster-usage: pass --cluster-usage too")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	files, err := collectAuditFiles(wd, opts.Paths)
	if err != nil {
		return err
	}
	rs := loadSopsRules(wd)
	report := keysReport{Files: []listedFile{}, Recipients: []listedRecipient{}}
	var broken []string
	for i := range files {
		lf, ok := listFile(&files[i], rs)
		if !ok {
			continue
		}
		if lf.Status == codeMalformed {
			broken = append(broken, lf.File)
		}
		report.Files = append(report.Files, lf)
	}
	report.Recipients = byRecipient(report.Files)
	markStale(report.Recipients, rs)
	if opts.ClusterUsage {
		u, err := readClusterUsage(ctx, f, opts.kubeTarget, opts.Namespace)
		if err != nil {
			return err
		}
		markClusterUse(report.Recipients, u)
		report.cluster = u
	}
	if opts.Out.isTable() {
		err = printKeysTable(f.IO, printer, report, opts.Out.wide())
	} else {
		err = printKeysObject(f.IO.Out, printer, report)
	}
	if err != nil {
		return err
	}
	if len(broken) > 0 {
		return fmt.Errorf("%s could not be read: %s", countOf(len(broken), "encrypted file"), strings.Join(broken, ", "))
	}
	return nil
}

// listFile describes one file; ok is false when it is not encrypted.
func listFile(s *auditFile, rs *sopsRules) (listedFile, bool) {
	lf := listedFile{File: s.Name, Recipients: []string{}}
	if err := readAuditFile(s); err != nil {
		if looksEncrypted(s.Data) {
			lf.Status, lf.Problem = codeMalformed, cryptoErrText(err)
			return lf, true
		}
		return lf, false
	}
	defer func() { s.Data = nil }()
	if !looksEncrypted(s.Data) {
		return lf, false
	}
	md, err := crypto.Inspect(s.Name, s.Data)
	if errors.Is(err, crypto.ErrNotEncrypted) {
		return lf, false
	}
	if err != nil {
		lf.Status, lf.Problem = codeMalformed, cryptoErrText(err)
		return lf, true
	}
	lf.Recipients = append(lf.Recipients, md.Recipients...)
	lf.OtherKeys = md.OtherKeys
	rule, err := rs.ruleFor(s.Abs)
	if err != nil {
		code, problem, _ := rs.ruleProblem(s.Name, err)
		lf.Status, lf.Problem = code, problem
		return lf, true
	}
	lf.Rule = &listedRule{Config: rs.name(), Index: rule.Index, Line: rule.Line, Recipients: rule.Recipients}
	lf.Status = statusUpToDate
	if d := diffRecipients(md, rule.Recipients); !d.empty() {
		lf.Status, lf.Add, lf.Remove = statusDiffers, d.Add, d.Remove
	}
	return lf, true
}

// byRecipient inverts the file list: each recipient with the files it
// opens, in the order recipients are first met.
func byRecipient(files []listedFile) []listedRecipient {
	out := []listedRecipient{}
	index := map[string]int{}
	for _, lf := range files {
		for _, r := range lf.Recipients {
			i, ok := index[r]
			if !ok {
				i = len(out)
				index[r] = i
				out = append(out, listedRecipient{Recipient: r, Fingerprint: keys.Fingerprint(r)})
			}
			out[i].Files = append(out[i].Files, lf.File)
			out[i].Count++
		}
	}
	return out
}

// markStale flags the recipients no creation rule of the .sops.yaml names:
// files still wrapped for them were not rotated since they were dropped.
// Without a usable .sops.yaml nothing is flagged.
func markStale(rs []listedRecipient, rules *sopsRules) {
	if rules.cfg == nil {
		return
	}
	named := map[string]bool{}
	for _, r := range rules.cfg.Rules() {
		for _, rec := range r.Recipients {
			named[keys.Fingerprint(rec)] = true
		}
	}
	for i := range rs {
		rs[i].Stale = !named[rs[i].Fingerprint]
	}
}

// markClusterUse records, per recipient, the GitSyncs whose last applied
// revision it opened files of.
func markClusterUse(rs []listedRecipient, u *clusterUsage) {
	for i := range rs {
		uses := u.uses(rs[i].Fingerprint)
		rs[i].Cluster = &recipientCluster{Used: len(uses) > 0, GitSyncs: append([]keyUse{}, uses...)}
	}
}
