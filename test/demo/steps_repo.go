package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/seal-gitops/seal/internal/atomicfile"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

// sealRule is the .sops.yaml path_regex whose files are encrypted for the
// agent: everything under apps/.
const sealRule = "^" + appPath + "/"

// runSeal prints and runs the built seal in the work tree.
func (d *demo) runSeal(ctx context.Context, args ...string) (harness.Result, error) {
	d.say.command(d.bins.Seal, args...)
	res, err := harness.Run(ctx, harness.Command{Path: d.bins.Seal, Args: args, Dir: d.repo.Dir()})
	if err != nil {
		return res, fmt.Errorf("seal %s: %w", args[0], err)
	}
	if res.ExitCode != 0 {
		return res, fmt.Errorf("seal %s: %s: %s", strings.Join(args[:min(2, len(args))], " "), exitText(res.ExitCode), strings.TrimSpace(res.Stderr))
	}
	return res, nil
}

// fetchKey runs seal keys fetch --update-config, which writes the agent's
// public key into .sops.yaml.
func (d *demo) fetchKey(ctx context.Context) error {
	// seal looks for .sops.yaml upward from the work tree, as sops does;
	// one above it would be edited instead of a new one made here.
	found, err := keys.FindConfig(d.repo.Dir())
	if err != nil && !errors.Is(err, keys.ErrNoConfig) {
		return err
	}
	if found != "" {
		return fmt.Errorf("%s: a .sops.yaml above the demo's work tree, which seal keys fetch would edit; move it, or set TMPDIR to a directory without one above it", found)
	}
	res, err := d.runSeal(ctx, "keys", "fetch", "--kubeconfig", "../kubeconfig", "--namespace", agentNamespace, "--update-config", sealRule)
	if err != nil {
		return err
	}
	got := strings.TrimSpace(res.Stdout)
	if !strings.EqualFold(got, d.recipient) {
		return fmt.Errorf("seal keys fetch printed %s, but the agent published %s", shortKey(got), shortKey(d.recipient))
	}
	b, err := os.ReadFile(filepath.Join(d.repo.Dir(), keys.ConfigName))
	if err != nil {
		return err
	}
	d.say.say("it printed the agent's public key (%s) and wrote %s:", shortKey(got), keys.ConfigName)
	d.say.block(string(b))
	return nil
}

// writeApp writes the app's manifests into the work tree, the Secret
// still in plaintext.
func (d *demo) writeApp(_ context.Context) error {
	pw := make([]byte, 6)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	d.password = "demo-" + hex.EncodeToString(pw)
	files := []struct {
		name    string
		content []byte
		perm    os.FileMode
		what    string
	}{
		{deploymentFile, deploymentYAML(2), 0o644, "Deployment web: nginx, 2 replicas, reading the two below"},
		{serviceFile, serviceYAML(), 0o644, "Service web: port 80"},
		{configMapFile, configMapYAML(firstGreeting), 0o644, "ConfigMap web-config: greeting=" + firstGreeting},
		{secretFile, secretYAML(d.password), 0o600, fmt.Sprintf("Secret db: username=%s, password=%s (the demo's throwaway password, in plaintext for now)", dbUser, d.password)},
	}
	for _, f := range files {
		path := filepath.Join(d.repo.Dir(), filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(path, f.content, f.perm); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		d.say.say("%-22s %s", f.name, f.what)
	}
	return nil
}

// sealSecret encrypts the Secret in place for the recipients .sops.yaml
// names, and shows that the file holds no plaintext.
func (d *demo) sealSecret(ctx context.Context) error {
	res, err := d.runSeal(ctx, "encrypt", "-v", "-i", secretFile)
	if err != nil {
		return err
	}
	if msg := firstLine(res.Stderr); msg != "" {
		d.say.say("%s", msg)
	}
	b, err := os.ReadFile(filepath.Join(d.repo.Dir(), filepath.FromSlash(secretFile)))
	if err != nil {
		return err
	}
	if bytes.Contains(b, []byte(d.password)) {
		return fmt.Errorf("%s still holds the password after seal encrypt -i", secretFile)
	}
	d.say.say("%s as Git will hold it: names stay readable for review, values are ciphertext:", secretFile)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	shown := len(lines)
	for i, l := range lines {
		if strings.Contains(l, "BEGIN AGE ENCRYPTED FILE") {
			shown = i + 1
			break
		}
	}
	d.say.block(strings.Join(lines[:shown], "\n"))
	if rest := len(lines) - shown; rest > 0 {
		d.say.block(fmt.Sprintf("… %d more lines: the data key wrapped for the agent's public key, and a MAC over every value", rest))
	}
	d.say.say("the password appears nowhere in the file")
	return nil
}

// commitApp commits the work tree and pushes it, then checks that no
// commit holds the password.
func (d *demo) commitApp(ctx context.Context) error {
	sha, err := d.repo.CommitAll("Add the web app and its sealed database Secret")
	if err != nil {
		return err
	}
	d.say.say("commit %s \"Add the web app and its sealed database Secret\": %s and 4 files under %s/, pushed to %s",
		sha[:8], keys.ConfigName, appPath, d.git.HTTPURL(d.repo.Name))
	if err := d.checkHistory(ctx, "password", d.password); err != nil {
		return err
	}
	d.revision = sha
	return nil
}

// checkHistory searches every commit's diff for a secret value.
func (d *demo) checkHistory(ctx context.Context, what, value string) error {
	cmd := exec.CommandContext(ctx, "git", "log", "-p", "--all")
	cmd.Dir = d.repo.Dir()
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git log -p --all in %s: %w", d.repo.Dir(), err)
	}
	if bytes.Contains(out, []byte(value)) {
		return fmt.Errorf("the repository's history holds the %s in plaintext", what)
	}
	d.say.say("git log -p --all: the %s appears nowhere in the repository's history", what)
	return nil
}
