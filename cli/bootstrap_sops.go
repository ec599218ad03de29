package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seal-gitops/seal/keys"
)

// updateSopsConfig makes the creation rule for the synced directory
// encrypt for the agent's recipient, keeping the rule's other recipients
// (a teammate's key stays able to decrypt).
func (b *bootstrapper) updateSopsConfig(recipient string) error {
	p := b.plan
	dir := b.repoDir()
	if p.sopsConfig == "" {
		b.printf("Left %s alone (--skip-sops-config); to encrypt %s for seal-agent:\n", keys.ConfigName, dir)
		b.printf("  seal keys fetch --update-config '%s'\n", p.pathRegex)
		return b.out.err
	}
	name := relToWD(p.wd, p.sopsConfig)
	b.printf("Encrypting %s for seal-agent\n", dir)
	kept, err := ruleRecipients(p.sopsConfig, p.pathRegex)
	if err != nil {
		return err
	}
	action := "unchanged"
	if !slices.ContainsFunc(kept, func(r string) bool { return strings.EqualFold(r, recipient) }) {
		action = "updated"
		if len(kept) == 0 {
			action = "created"
		}
		_, statErr := os.Stat(p.sopsConfig)
		if err := keys.UpsertRule(p.sopsConfig, p.pathRegex, append(slices.Clone(kept), recipient)); err != nil {
			return err
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			name += " (new file)"
		}
	}
	b.printf("  %-10s %s rule for path_regex %s\n", action, name, p.pathRegex)
	if action == "updated" {
		b.printf("  files already encrypted under %s open for seal-agent only after: seal keys rotate %s\n", dir, dir)
	}
	if !p.inCheckout {
		b.printf("  note: %s is not in a Git checkout; %s went in the working directory\n", p.wd, keys.ConfigName)
	}
	if nearest, err := keys.FindConfig(p.wd); err == nil && nearest != p.sopsConfig {
		b.printf("  note: run from here, sops reads %s first; move the rule there, or run sops from %s\n", relToWD(p.wd, nearest), relToWD(p.wd, p.root))
	}
	return b.out.err
}

// repoDir is the synced directory as the user would type it from the
// working directory.
func (b *bootstrapper) repoDir() string {
	dir := relToWD(b.plan.wd, filepath.Join(b.plan.root, filepath.FromSlash(b.plan.path)))
	if dir == "" {
		return "."
	}
	return dir
}

// nextSteps prints what to do after bootstrap.
func (b *bootstrapper) nextSteps() {
	p := b.plan
	dir := b.repoDir()
	add := dir
	if p.sopsConfig != "" {
		add = relToWD(p.wd, p.sopsConfig) + " " + dir
	}
	b.printf("\nNext steps:\n")
	b.printf("  1. Encrypt each Secret manifest under %s before you commit it:\n", dir)
	b.printf("       seal -i %s/SECRET.yaml\n", strings.TrimSuffix(dir, "/"))
	b.printf("  2. Commit and push:\n")
	b.printf("       git add %s && git commit -m 'Sync with seal' && git push\n", add)
	b.printf("  3. Watch seal-agent apply it:\n")
	b.printf("       seal status -w -n %s %s\n", p.namespace, p.name)
}
