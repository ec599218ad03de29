package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seal-gitops/seal/keys"
)

// noRecipientHint says where recipients come from.
const noRecipientHint = "pass -r RECIPIENT, or run `seal keys fetch --update-config PATH_REGEX` to write the cluster's key into a .sops.yaml creation rule"

// encFatal marks an error that concerns every file, not one: seal encrypt
// stops at it instead of trying the next file.
type encFatal struct{ error }

func (e encFatal) Unwrap() error { return e.error }

// fileRecipients is whom one file is encrypted for, and why.
type fileRecipients struct {
	recipients     []string
	encryptedRegex string // "" for crypto's default, data and stringData
	source         string // for -v: "from -r" or the rule's name
}

// recipientSource gives each file its recipients: the -r ones, else those
// of its .sops.yaml creation rule, the config loaded on first need (a run
// that meets no unencrypted Secret needs none).
type recipientSource struct {
	wd     string
	flags  []string
	loaded bool
	cfg    *keys.Config
	cfgErr error
}

// newRecipientSource validates the -r arguments.
func newRecipientSource(wd string, args []string) (*recipientSource, error) {
	readFile := func(name string) ([]byte, error) { return os.ReadFile(wdPath(wd, name)) }
	rs, err := keys.ReadRecipients(args, readFile)
	if err != nil {
		return nil, usageError{fmt.Errorf("-r/--recipient: %w", err)}
	}
	return &recipientSource{wd: wd, flags: rs}, nil
}

func (s *recipientSource) forFile(in encInput) (fileRecipients, error) {
	if len(s.flags) > 0 {
		return fileRecipients{recipients: s.flags, source: "from -r"}, nil
	}
	if !s.loaded {
		s.loaded = true
		s.cfg, s.cfgErr = loadEncConfig(s.wd, in.Name)
	}
	if s.cfgErr != nil {
		return fileRecipients{}, s.cfgErr
	}
	rule, err := s.cfg.RuleFor(wdPath(s.wd, in.cryptoName()))
	switch {
	case errors.Is(err, keys.ErrNoRule):
		hint := noRecipientHint
		if in.Stdin && in.Override == "" {
			hint += "; for stdin, --filename-override NAME picks the rule that NAME matches"
		}
		return fileRecipients{}, withHint(fmt.Errorf("%s: no recipients: %w", in.Name, err), "%s", hint)
	case err != nil:
		return fileRecipients{}, fmt.Errorf("%s: %w", in.Name, err)
	}
	return fileRecipients{
		recipients:     rule.Recipients,
		encryptedRegex: rule.EncryptedRegex,
		source:         fmt.Sprintf("%s creation_rules[%d]", relToDir(s.wd, s.cfg.Path), rule.Index),
	}, nil
}

// loadEncConfig finds and loads the .sops.yaml nearest the working
// directory, for the first file that needs it (name). Its errors are
// encFatal: they hold for every file.
func loadEncConfig(wd, name string) (*keys.Config, error) {
	lookup, err := keys.LookupConfig(wd)
	if err != nil {
		return nil, withHint(encFatal{fmt.Errorf("%s: no recipients: no -r/--recipient given, and %w", name, err)}, "%s", noRecipientHint)
	}
	cfg, err := keys.LoadConfig(lookup.Path)
	if err != nil {
		return nil, encFatal{err}
	}
	return cfg, nil
}

// relToDir shows path relative to dir when it can.
func relToDir(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		return rel
	}
	return path
}
