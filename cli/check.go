package cli

import (
	"cmp"
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
)

// checkOptions are the flags and arguments of seal check.
type checkOptions struct {
	Paths  []string
	Output string
	Staged bool
}

func newCheckCmd(f *Factory) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Find plaintext Secrets and stale or damaged encrypted files (for CI and pre-commit)",
		Long: `Check Kubernetes manifests and SOPS files before they reach Git.

Each PATH is a file or a directory, walked for .yaml, .yml and .json files
(default: the working directory). The creation rules come from the
.sops.yaml nearest the working directory, as sops finds it. A problem is:

  plaintext          a Secret value in plaintext (data or stringData;
                     empty values aside)
  unencrypted-value  a value of an encrypted file that its rules cover, in
                     plaintext
  no-mac             an encrypted file without its MAC (integrity check)
  stale-recipients   an encrypted file whose recipients differ from what its
                     .sops.yaml rule asks (after a key was added or dropped)
  no-rule            a Secret or encrypted file that no creation rule covers
  unmanaged-rule     its rule uses keys seal does not manage (pgp, kms…)
  invalid-config     the .sops.yaml cannot be used
  policy-missing-recipient
                     an encrypted file, or a creation rule, lacks a
                     recipient the key policy requires
  policy-forbidden-recipient
                     an encrypted file, or a creation rule, names a
                     recipient the key policy forbids
  malformed          an encrypted file, or a file that looks like a Secret,
                     that cannot be read
  wrong-release      a HelmRelease (seal.dev/v1alpha1) reads a values file
                     sealed for another release or for a Secret (read with
                     the key seal finds, as seal decrypt does; without one
                     the bindings are not checked)

Notices ("notice": true in JSON) are shown for review and do not fail the
check:

  widened            a HelmRelease (seal.dev/v1alpha1) whose
                     spec.sealedValues.allowKinds lets its sealed values
                     land outside Secrets
  unbound            an encrypted file whose values carry no sealed identity
                     (made by the sops CLI): the agent refuses them unless
                     the GitSync sets spec.decryption.allowUnbound; the fix
                     is seal edit (Secrets) or seal bind (generator inputs,
                     Helm values). A walk sees .yaml, .yml and .json files:
                     name .env inputs as PATHs

The key policy is the seal section of the .sops.yaml, which sops ignores:

  seal:
    policy:
      require: [age1…]        # on every encrypted file (a break-glass key)
      forbid: [sha256:…]      # on none (a recipient or its fingerprint)

Each problem prints as "file:line: problem — how to fix"; values are never
printed. Manifests of other kinds are not problems. With --staged, the files
staged in git are checked as they are in the index (what the next commit
will hold), not as they are in the work tree; the .sops.yaml is still read
from the work tree.

With -o json, the output is one object: {"checked": N, "findings": [{"file",
"line", "code", "key" (the value's path, for value problems), "problem",
"fix"}]}.

Exit status: 0 when there is no problem, 1 when there is one, 2 for bad
flags.`,
		Example: `  # Check the whole repository, as CI does
  seal check

  # Check what is about to be committed (the pre-commit hook runs this)
  seal check --staged

  # Machine-readable findings
  seal check -o json clusters/prod`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runCheck(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output `FORMAT`: text or json (a report, not a listing: the -o formats of seal get and keys list do not apply)")
	cmd.Flags().BoolVar(&opts.Staged, "staged", false, "check the files staged in git (the index) instead of the work tree")
	return cmd
}

// runCheck runs seal check. Findings are printed and give exit status 1.
func runCheck(ctx context.Context, f *Factory, opts *checkOptions) error {
	if err := validAuditOutput(opts.Output); err != nil {
		return err
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	if resolved, err := filepath.EvalSymlinks(wd); err == nil {
		wd = resolved // as git reports paths, so both agree
	}
	var srcs []auditFile
	if opts.Staged {
		srcs, err = stagedSources(ctx, wd, opts.Paths)
	} else {
		srcs, err = collectAuditFiles(wd, opts.Paths)
	}
	if err != nil {
		return err
	}
	rs := loadSopsRules(wd)
	var fs []finding
	bindings := newBindingScan(wd, opts.Staged)
	prog := newProgress(f, "check", len(srcs))
	for i := range srcs {
		prog.step()
		s := &srcs[i]
		if !opts.Staged {
			if err := readAuditFile(s); err != nil {
				fs = append(fs, finding{File: s.Name, Line: 1, Code: codeMalformed, Problem: cryptoErrText(err),
					Fix: "make the file readable, or leave it out of the paths checked"})
				continue
			}
		}
		fs = append(fs, checkSource(s, rs)...)
		if len(s.Data) <= crypto.MaxFileSize {
			bindings.add(s)
		}
		s.Data = nil
	}
	prog.finish()
	fs = append(fs, bindings.findings(checkRing(f))...)
	fs = append(fs, rulePolicyFindings(rs)...)
	fs = groupConfigFindings(fs, rs)
	slices.SortStableFunc(fs, func(a, b finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if err := printFindings(f, opts.Output, len(srcs), fs); err != nil {
		return err
	}
	if problems(fs) > 0 {
		return silentError{ExitFailure}
	}
	return nil
}

var ruleLineRe = regexp.MustCompile(`\(line (\d+)\)`)

// groupConfigFindings reports a broken .sops.yaml once, on the .sops.yaml
// (at the rule's line when known), instead of once per file it breaks.
func groupConfigFindings(fs []finding, rs *sopsRules) []finding {
	out := fs[:0:0]
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Code == codeInvalidConfig {
			if seen[f.Problem] {
				continue
			}
			seen[f.Problem] = true
			f.File, f.Line = rs.name(), 1
			f.Problem = strings.TrimPrefix(f.Problem, rs.name()+": ")
			if m := ruleLineRe.FindStringSubmatch(f.Problem); m != nil {
				f.Line, _ = strconv.Atoi(m[1])
			}
		}
		out = append(out, f)
	}
	return out
}
