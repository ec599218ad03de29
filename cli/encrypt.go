package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/spf13/cobra"
)

// encryptOptions are the flags and arguments of seal encrypt.
type encryptOptions struct {
	Paths            []string
	Recipients       []string // -r values as given: recipients, comma lists, @FILE
	InPlace          bool
	Verbose          bool
	FilenameOverride string // for stdin: the name rules and format go by
	Namespace        string // set on Secrets without one
	BindSecret       string // NAMESPACE/NAME: encrypt generator inputs for that Secret
	Release          string // NAMESPACE/NAME: encrypt Helm values files for that release
}

func newEncryptCmd(f *Factory) *cobra.Command {
	opts := &encryptOptions{}
	cmd := &cobra.Command{
		Use:   "encrypt [flags] PATH...",
		Short: "Encrypt the values of Kubernetes Secret manifests (also: seal PATH...)",
		Long: `Encrypt the data and stringData values of Kubernetes Secret manifests with
age, in the SOPS format, so the files can be committed to Git. Names, labels,
annotations and comments stay readable for review, and the file's indentation
is kept. The sops CLI (3.13 or later) reads and writes the same files.

Recipients come from -r (repeatable; several separated by commas; @FILE reads
one a line), or else from the creation rule of .sops.yaml that matches the
file's path; .sops.yaml is found from the working directory upward, as sops
finds it. Without -r, files are encrypted for whoever the rule names:
usually the cluster's seal-agent, whose key "seal keys fetch
--update-config" writes into the rule.

Each PATH is a manifest file (YAML, or JSON by the .json extension), a
directory, or - for stdin. A file holds one Secret or several (multiple YAML
documents); Secrets must not share a file with other kinds, so that
everything else stays readable. Directories are walked for .yaml, .yml and
.json files, hidden files and directories (such as .git) left out; files
that are not Secrets are skipped. A file that is already encrypted is left
byte for byte as it is.

Every Secret is sealed for its kind, namespace and name: the agent applies
its values to that Secret only. A Secret without metadata.namespace is
refused unless --namespace gives one, which is then written into the file.

A file that a kustomize secretGenerator reads (a dotenv file for envs:, or
any file for files:) is not a manifest: encrypt it with --bind-secret
NAMESPACE/NAME, naming the Secret the generator makes. Every value is
encrypted and the binding sealed with them; the agent accepts the file only
in a secretGenerator of that name in that namespace.

A Helm values file that a HelmRelease file of the repository reads is
encrypted with --release NAMESPACE/NAME, naming the release: every value is
encrypted and the binding sealed with them; the agent accepts the file only
as values of that release, and by default its values only in Secrets of that
namespace that the release renders.

Without -i the result goes to stdout (one file only); with -i each file is
replaced atomically. "seal PATH..." is short for "seal encrypt PATH...".

Exit status: 0 when every file was encrypted, already encrypted or skipped;
1 when a file failed; 2 for bad flags or arguments.`,
		Example: `  # Encrypt in place for the recipients of the matching .sops.yaml rule
  seal encrypt -i apps/db-secret.yaml

  # The same, short
  seal -i apps/db-secret.yaml

  # Every Secret under a directory
  seal encrypt -i clusters/prod

  # For an explicit recipient, to stdout
  seal encrypt -r age1pq1... secret.yaml > secret.enc.yaml

  # A Secret manifest without a namespace, sealed for namespace prod
  seal encrypt -i --namespace prod apps/db-secret.yaml

  # A dotenv file that secretGenerator "app" in namespace prod reads
  seal encrypt -i --bind-secret prod/app apps/app.env

  # Helm values that release "shop" in namespace prod reads
  seal encrypt -i --release prod/shop apps/shop/secret-values.yaml

  # From a pipe, choosing the .sops.yaml rule by name
  kubectl create secret generic db --from-file=password=db-password.txt --dry-run=client -o yaml |
    seal encrypt --filename-override apps/db-secret.yaml - > apps/db-secret.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runEncrypt(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Recipients, "recipient", "r", nil, "encrypt for `RECIPIENT` (age1pq1… or age1…; @FILE reads one a line); repeatable")
	fl.BoolVarP(&opts.InPlace, "in-place", "i", false, "replace each file with its encrypted form")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "say what happened to every file, and whom it was encrypted for")
	fl.StringVar(&opts.FilenameOverride, "filename-override", "", "for stdin (-): match .sops.yaml rules and pick YAML or JSON by this `NAME`")
	fl.StringVar(&opts.Namespace, "namespace", "", "seal Secrets that have no metadata.namespace for `NAMESPACE` (written into the file)")
	fl.StringVar(&opts.BindSecret, "bind-secret", "", "encrypt secretGenerator inputs (dotenv, JSON, YAML) for the Secret `NAMESPACE/NAME` the generator makes")
	fl.StringVar(&opts.Release, "release", "", "encrypt Helm values files for the release `NAMESPACE/NAME` that reads them")
	return cmd
}

// runEncrypt runs seal encrypt.
func runEncrypt(ctx context.Context, f *Factory, opts *encryptOptions) error {
	if opts.BindSecret != "" && opts.Release != "" {
		return usagef("--bind-secret and --release: a file is bound either to the Secret a generator makes or to the Helm release that reads it, not both")
	}
	wd, err := factoryWD(f)
	if err != nil {
		return err
	}
	ins, walked, err := collectEncInputs(wd, opts)
	if err != nil {
		return err
	}
	src, err := newRecipientSource(wd, opts.Recipients)
	if err != nil {
		return err
	}
	single := len(ins) == 1 && !walked
	var sum encSummary
	prog := newProgress(f, "encrypt", len(ins))
	for _, in := range ins {
		prog.step()
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := encryptOne(f, opts, src, in)
		if err != nil {
			var fatal encFatal
			if single || errors.As(err, &fatal) {
				return err
			}
			printError(f.IO.Err, err)
			sum.failed++
			continue
		}
		sum.add(res)
	}
	prog.finish()
	if !single {
		fmt.Fprintln(f.IO.Err, sum.String())
	}
	if sum.failed > 0 {
		return silentError{ExitFailure}
	}
	return nil
}

// encryptOne encrypts one input and writes the result.
func encryptOne(f *Factory, opts *encryptOptions, src *recipientSource, in encInput) (encResult, error) {
	data, err := readEncInput(f, in)
	if err != nil {
		return 0, err
	}
	if crypto.IsEncrypted(data) {
		fmt.Fprintf(f.IO.Err, "%s: already encrypted, left as is\n", in.Name)
		if !opts.InPlace {
			if _, err := f.IO.Out.Write(data); err != nil {
				return 0, fmt.Errorf("writing to stdout: %w", err)
			}
		}
		return encAlready, nil
	}
	if opts.BindSecret != "" || opts.Release != "" {
		return encryptInput(f, opts, src, in, data)
	}
	if in.Walked {
		if skip, why := skipWalked(data); skip {
			if opts.Verbose {
				fmt.Fprintf(f.IO.Err, "%s: skipped, %s\n", in.Name, why)
			}
			return encSkipped, nil
		}
	} else if hasSecret, ok := sniffSecret(data); ok && !hasSecret {
		return 0, fmt.Errorf("%s: %w: no document has kind: Secret; only Secret manifests are encrypted; for a file a secretGenerator reads, use --bind-secret NAMESPACE/NAME", in.Name, crypto.ErrNotSecret)
	}
	rec, err := src.forFile(in)
	if err != nil {
		return 0, err
	}
	out, err := crypto.Encrypt(in.cryptoName(), data, crypto.EncryptOptions{Recipients: rec.recipients, EncryptedRegex: rec.encryptedRegex, Namespace: opts.Namespace, RequireNamespace: true})
	switch {
	case errors.Is(err, crypto.ErrNotSecret) && in.Walked:
		if opts.Verbose {
			fmt.Fprintf(f.IO.Err, "%s: skipped, not a Secret\n", in.Name)
		}
		return encSkipped, nil
	case err != nil:
		return 0, err
	}
	return writeEncrypted(f, opts, rec, in, out)
}

// writeEncrypted writes one encrypted file in place or to stdout.
func writeEncrypted(f *Factory, opts *encryptOptions, rec fileRecipients, in encInput, out []byte) (encResult, error) {
	if opts.InPlace {
		if err := atomicfile.WriteFile(writeTarget(in.Path), out, 0o644); err != nil {
			return 0, fmt.Errorf("%s: %w", in.Name, err)
		}
	} else if _, err := f.IO.Out.Write(out); err != nil {
		return 0, fmt.Errorf("writing to stdout: %w", err)
	}
	if opts.Verbose {
		fmt.Fprintf(f.IO.Err, "%s: encrypted for %s (%s)\n", in.Name, countNoun(len(rec.recipients), "recipient"), rec.source)
	}
	return encDone, nil
}

// encryptInput encrypts a secretGenerator input bound to opts.BindSecret,
// or a Helm values file bound to opts.Release.
func encryptInput(f *Factory, opts *encryptOptions, src *recipientSource, in encInput, data []byte) (encResult, error) {
	flag, value, what, kind := "--bind-secret", opts.BindSecret, "the namespace and name of the Secret the generator makes", "Secret"
	if opts.Release != "" {
		flag, value, what, kind = "--release", opts.Release, "the namespace and name of the Helm release that reads the values file", crypto.ReleaseKind
	}
	ns, name, ok := strings.Cut(value, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return 0, encFatal{fmt.Errorf("%s %q: want NAMESPACE/NAME, %s (see seal encrypt --help)", flag, value, what)}
	}
	rec, err := src.forFile(in)
	if err != nil {
		return 0, err
	}
	out, err := crypto.EncryptInput(in.cryptoName(), data, crypto.InputOptions{Recipients: rec.recipients, Namespace: ns, Name: name, Kind: kind})
	if err != nil {
		return 0, err
	}
	return writeEncrypted(f, opts, rec, in, out)
}

// writeTarget is the file to replace for path: a symbolic link's target,
// so that the link stays a link.
func writeTarget(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}

// encResult is what happened to one file.
type encResult int

const (
	encDone encResult = iota + 1
	encAlready
	encSkipped
)

// encSummary counts what happened, for the line printed after several files.
type encSummary struct{ done, already, skipped, failed int }

func (s *encSummary) add(r encResult) {
	switch r {
	case encDone:
		s.done++
	case encAlready:
		s.already++
	case encSkipped:
		s.skipped++
	}
}

// String reads "encrypted 3 files, 1 already encrypted, 2 skipped (not
// Secrets), 1 failed", leaving out counts of zero after the first.
func (s encSummary) String() string {
	out := "encrypted " + countNoun(s.done, "file")
	if s.already > 0 {
		out += fmt.Sprintf(", %d already encrypted", s.already)
	}
	if s.skipped > 0 {
		out += fmt.Sprintf(", %d skipped (not Secrets)", s.skipped)
	}
	if s.failed > 0 {
		out += fmt.Sprintf(", %d failed", s.failed)
	}
	return out
}

// countNoun reads "1 file", "2 files".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
