package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/keys"
)

// promoteOptions are the flags and arguments of seal promote.
type promoteOptions struct {
	Src, Dst      string
	Identities    []string
	oldIdentities []string // the deprecated -i
	DryRun        bool
	NamespaceMap  map[string]string
}

func newPromoteCmd(f *Factory) *cobra.Command {
	opts := &promoteOptions{}
	cmd := &cobra.Command{
		Use:   "promote SRC DST",
		Short: "Copy manifests from one environment directory or branch to another, re-encrypting for the target",
		Long: `Copy every file under the directory SRC to the same path under DST (for
instance clusters/staging to clusters/prod), so an environment gets what
another one tested.

SRC may also be REF:PATH, as in git show: the files under PATH (from the
repository's root) in the branch, tag or commit REF, read with git. To
promote between environment branches, check out the target branch and run
seal promote staging:clusters/app clusters/app; then review and commit.

Encrypted files are re-encrypted for the recipients of their creation rule
in the .sops.yaml nearest DST, with a new data key, so the source
environment's keys cannot open the copies: values stay byte for byte the
same once decrypted, and plaintext is never written to disk. This needs an
identity that opens the source files: the identity files given with --identity,
else those sops finds (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, sops' keys.txt). The
target's key policy (the seal section of its .sops.yaml) is honoured.

Files are left untouched when they already hold the same content: for an
encrypted file, when the identity opens the existing copy, its plaintext is
the same and it is wrapped for the rule's recipients. Each file is replaced
atomically. Files in DST that SRC does not have are left alone, and so is
SRC's .sops.yaml.

Namespaces are kept as they are, and so is the namespace each Secret is
sealed for (seal.dev/sealed-for), unless --namespace-map FROM=TO names them:
then every metadata.namespace FROM (and a kustomization's namespace field)
becomes TO, only those bytes changing in plain files, and each encrypted
Secret is re-sealed for its new namespace. The mapping must be explicit:
seal never guesses a target namespace.`,
		Example: `  # Promote staging to production
  seal promote clusters/staging clusters/prod --identity ~/.config/seal/team.agekey

  # See what would change
  seal promote --dry-run clusters/staging clusters/prod

  # From the staging branch into the checked-out prod branch, moving
  # namespace staging to prod
  git switch prod
  seal promote staging:clusters/app clusters/app --namespace-map staging=prod`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("seal promote takes SRC (a directory, or REF:PATH in git) and DST, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Src, opts.Dst = args[0], args[1]
			opts.Identities = takeOldIdentities(f, opts.Identities, opts.oldIdentities)
			return runPromote(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	addIdentityFlag(fl, &opts.Identities, "identity `FILE` that opens the source files (repeatable; default: where sops finds identities)", &opts.oldIdentities)
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print what would change and change nothing (needs the identity to compare encrypted files)")
	fl.StringToStringVar(&opts.NamespaceMap, "namespace-map", nil, "move objects and sealed Secrets from namespace `FROM=TO` (repeatable, or comma-separated)")
	return cmd
}

// promoteFile is one file of a promotion.
type promoteFile struct {
	rel      string // path under SRC and DST, slash-separated
	src, dst string // absolute paths; src is "" for a git source
	name     string // the source as messages name it
	blob     string // the git object of a git source
}

func runPromote(ctx context.Context, f *Factory, opts *promoteOptions) error {
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	nsMap, err := parseNamespaceMap(opts.NamespaceMap)
	if err != nil {
		return err
	}
	src, dst := wdPath(wd, opts.Src), wdPath(wd, opts.Dst)
	p := &promoter{f: f, ctx: ctx, wd: wd, dst: dst, dryRun: opts.DryRun, identities: opts.Identities, nsMap: nsMap}
	var files []promoteFile
	fi, statErr := os.Stat(src)
	if ref, dir, ok := parseGitSource(opts.Src); statErr != nil && ok {
		g, err := openGitSource(ctx, wd, opts.Src, ref, dir)
		if err != nil {
			return err
		}
		p.gitTop, src = g.top, ""
		if files, err = g.files(ctx, dst); err != nil {
			return err
		}
	} else {
		if statErr != nil {
			return withHint(fmt.Errorf("SRC %s: %w", opts.Src, unwrapPathError(statErr)), "name a directory, or REF:PATH for a path in a git branch, tag or commit")
		} else if !fi.IsDir() {
			return usagef("SRC %s is not a directory", opts.Src)
		}
		if within(src, dst) || within(dst, src) {
			return usagef("SRC %s and DST %s overlap: promote between sibling environment directories", opts.Src, opts.Dst)
		}
		if files, err = promoteFiles(src, dst); err != nil {
			return err
		}
		for i := range files {
			files[i].name = relToWD(wd, files[i].src)
		}
	}
	var failed []string
	counts := map[string]int{}
	for _, pf := range files {
		what, err := p.promote(pf)
		if err != nil {
			failed = append(failed, pf.rel)
			fmt.Fprintf(f.IO.Err, "seal: error: %v\n", err)
			var h hintError
			if errors.As(err, &h) {
				fmt.Fprintf(f.IO.Err, "seal: hint: %s\n", h.hint)
			}
			continue
		}
		counts[what]++
		fmt.Fprintf(f.IO.Out, "%-12s%s\n", what, relToWD(wd, pf.dst))
	}
	verb := "promoted"
	if opts.DryRun {
		verb = "dry run: would promote"
	}
	from := opts.Src
	if src != "" {
		from = relToWD(wd, src)
	}
	fmt.Fprintf(f.IO.Out, "%s %s to %s: %d re-encrypted, %d copied, %d unchanged, %d failed\n", verb, from, relToWD(wd, dst),
		counts[promoteReencrypted], counts[promoteCopied], counts[promoteUnchanged], len(failed))
	if len(failed) > 0 {
		return withHint(fmt.Errorf("%s not promoted: %s", countOf(len(failed), "file"), strings.Join(failed, ", ")),
			"fix the problems above and run seal promote again: files already promoted are left unchanged")
	}
	return nil
}

// within reports whether p is dir or inside it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))))
}

// promoteFiles lists the regular files under src (not .git, not
// .sops.yaml), sorted. Symbolic links are refused: a link would copy what
// it points to, possibly outside the repository.
func promoteFiles(src, dst string) ([]promoteFile, error) {
	var out []promoteFile
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if d.IsDir() {
			if p != src && d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == keys.ConfigName {
			return nil
		}
		if !d.Type().IsRegular() {
			return withHint(fmt.Errorf("%s: not a regular file (a symbolic link?); nothing was promoted", p),
				"replace it with the file itself, or move it out of the source directory")
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out = append(out, promoteFile{rel: filepath.ToSlash(rel), src: p, dst: filepath.Join(dst, rel)})
		return nil
	})
	slices.SortFunc(out, func(a, b promoteFile) int { return strings.Compare(a.rel, b.rel) })
	return out, err
}

// What happened to a promoted file.
const (
	promoteReencrypted = "reencrypted"
	promoteCopied      = "copied"
	promoteUnchanged   = "unchanged"
)

// promoter promotes files one at a time. The identities and the target's
// rules are loaded when the first encrypted file needs them.
type promoter struct {
	f          *Factory
	ctx        context.Context
	wd, dst    string
	gitTop     string // where git runs, for a git source
	dryRun     bool
	identities []string
	nsMap      namespaceMap

	ring  *keys.Ring
	rules *sopsRules
}

func (p *promoter) promote(pf promoteFile) (string, error) {
	data, err := p.read(pf)
	if err != nil {
		return "", err
	}
	old, err := os.ReadFile(pf.dst)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", relToWD(p.wd, pf.dst), unwrapPathError(err))
	}
	name := pf.name
	if !looksEncrypted(data) {
		if data, _, err = p.nsMap.apply(name, data); err != nil {
			return "", err
		}
		if old != nil && bytes.Equal(old, data) {
			return promoteUnchanged, nil
		}
		return promoteCopied, p.write(pf.dst, data)
	}
	if _, err := crypto.Inspect(name, data); err != nil {
		return "", err
	}
	rule, err := p.targetRule(pf.dst)
	if err != nil {
		return "", err
	}
	if p.ring == nil {
		if p.ring, err = loadRing(p.f, p.identities); err != nil {
			return "", err
		}
	}
	ids := p.ring.AgeIdentities()
	plain, err := crypto.Decrypt(name, data, ids)
	if err != nil {
		return "", wrongKeyHint(err, p.ring)
	}
	mapped, n, err := p.nsMap.apply(name, plain.Plaintext)
	if err != nil {
		return "", err
	}
	if n == 0 {
		if old != nil && p.sameEncrypted(pf.dst, old, plain.Plaintext, rule) {
			return promoteUnchanged, nil
		}
		out, _, err := crypto.Rewrap(name, data, ids, rule.Recipients, true)
		if err != nil {
			return "", wrongKeyHint(err, p.ring)
		}
		return promoteReencrypted, p.write(pf.dst, out)
	}
	out, err := p.rebind(name, data, mapped, rule)
	if err != nil {
		return "", err
	}
	if old != nil {
		// Compare what the new file opens to (its binding recomputed by
		// crypto) with what the old one opens to.
		d, err := crypto.Decrypt(name, out, ids)
		if err != nil {
			return "", fmt.Errorf("%s: the re-bound copy does not open: %w", name, err)
		}
		if p.sameEncrypted(pf.dst, old, d.Plaintext, rule) {
			return promoteUnchanged, nil
		}
	}
	return promoteReencrypted, p.write(pf.dst, out)
}

// rebind seals the namespace-mapped plaintext of an encrypted file in
// memory (crypto recomputes each Secret's binding for its new namespace)
// and re-encrypts it for the rule's recipients with a new data key.
func (p *promoter) rebind(name string, data, mapped []byte, rule *keys.Rule) ([]byte, error) {
	ids := p.ring.AgeIdentities()
	moved, err := crypto.Reencrypt(name, data, mapped, ids)
	if err != nil {
		return nil, fmt.Errorf("re-binding to the mapped namespace: %w", err)
	}
	out, _, err := crypto.Rewrap(name, moved, ids, rule.Recipients, true)
	if err != nil {
		return nil, wrongKeyHint(err, p.ring)
	}
	return out, nil
}

// sameEncrypted reports whether the existing target opens to plaintext and
// is wrapped for exactly the rule's recipients.
func (p *promoter) sameEncrypted(dst string, old, plaintext []byte, rule *keys.Rule) bool {
	name := relToWD(p.wd, dst)
	md, err := crypto.Inspect(name, old)
	if err != nil || !diffRecipients(md, rule.Recipients).empty() {
		return false
	}
	d, err := crypto.Decrypt(name, old, p.ring.AgeIdentities())
	return err == nil && bytes.Equal(d.Plaintext, plaintext)
}

// targetRule is the creation rule of the .sops.yaml nearest DST for the
// target file; a rule that breaks that file's key policy is refused.
func (p *promoter) targetRule(dst string) (*keys.Rule, error) {
	if p.rules == nil {
		p.rules = loadSopsRules(p.dst)
		p.rules.wd = p.wd
	}
	name := relToWD(p.wd, dst)
	rule, err := p.rules.ruleFor(dst)
	if err != nil {
		_, problem, fix := p.rules.ruleProblem(name, err)
		return nil, withHint(fmt.Errorf("%s: %s", name, problem), "%s", fix)
	}
	if err := p.rules.rulePolicyError(rule); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rule, nil
}

// write replaces path atomically, creating its directory; nothing in a dry run.
func (p *promoter) write(path string, data []byte) error {
	if p.dryRun {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%s: %w", relToWD(p.wd, filepath.Dir(path)), unwrapPathError(err))
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("%s: %w", relToWD(p.wd, path), err)
	}
	return nil
}
