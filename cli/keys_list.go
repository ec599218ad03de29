package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
)

// keysListOptions are the flags and arguments of seal keys list.
type keysListOptions struct {
	Paths  []string
	Output string
}

func newKeysListCmd(f *Factory) *cobra.Command {
	opts := &keysListOptions{}
	cmd := &cobra.Command{
		Use:   "list [PATH...]",
		Short: "Show who can decrypt which encrypted file",
		Long: `List the recipients of every encrypted file under PATH (files, or
directories walked for .yaml, .yml and .json files; default: the working
directory): for each file the recipients its data key is wrapped for, and
for each recipient the files it opens. Files whose recipients differ from
their .sops.yaml creation rule are flagged: ` + "`seal keys rotate`" + ` brings them in line.

Long post-quantum recipients are abbreviated with their fingerprint; -o json
prints them whole:
{"files": [{"file", "recipients", "status", "rule": {"config", "index",
"line", "recipients"}, "add", "remove", "otherKeys", "problem"}],
 "recipients": [{"recipient", "fingerprint", "files"}]}.
status is one of up-to-date, differs, no-rule, unmanaged-rule,
invalid-config, malformed.`,
		Example: `  # Who can decrypt what in this repository
  seal keys list

  # Every file the cluster's key opens, for a script
  seal keys list -o json | jq -r '.recipients[] | select(.recipient == "age1…") | .files[]'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runKeysList(f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output `FORMAT`: text or json")
	return cmd
}

// Status values of a listed file.
const (
	statusUpToDate = "up-to-date"
	statusDiffers  = "differs"
)

// listedFile is one encrypted file in `seal keys list -o json`.
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
	Recipient   string   `json:"recipient"`
	Fingerprint string   `json:"fingerprint"`
	Files       []string `json:"files"`
}

type keysReport struct {
	Files      []listedFile      `json:"files"`
	Recipients []listedRecipient `json:"recipients"`
}

// runKeysList runs seal keys list. A file that cannot be read is listed
// with its problem and gives exit status 1 once everything is printed.
func runKeysList(f *Factory, opts *keysListOptions) error {
	if err := validAuditOutput(opts.Output); err != nil {
		return err
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
	if opts.Output == outputJSON {
		err = writeJSON(f.IO.Out, report)
	} else {
		err = printKeysTable(f.IO.Out, report)
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
		}
	}
	return out
}
