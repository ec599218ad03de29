package cli

import (
	"github.com/google/go-cmp/cmp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/seal-gitops/seal/crypto"
	"github.com/seal-gitops/seal/keys"
	"github.com/seal-gitops/seal/test/e2e/harness"
)

const diffSecret = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  user: admin
  password: ` + cryptValue + `
`

// diffHistory is a checkout with four commits of one sealed file:
// sealed for alice; re-wrapped for bob too; password changed, api-key
// added, user removed; every value re-encrypted under a new data key.
type diffHistory struct {
	dir        string
	alice, bob *cryptKey
	file       string
}

func newDiffHistory(t *testing.T) *diffHistory {
	t.Helper()
	h := &diffHistory{dir: t.TempDir()}
	keyDir := t.TempDir()
	h.alice, h.bob = newCryptKey(t, keyDir, "alice", keys.X25519), newCryptKey(t, keyDir, "bob", keys.X25519)
	auditGitRepo(t, h.dir)
	h.file = filepath.Join(h.dir, "clusters", "prod", "db.yaml")
	name := "clusters/prod/db.yaml"
	ids := keys.NewRing(h.alice.id).AgeIdentities()
	commit := func(msg string, data []byte) {
		cryptWrite(t, h.file, string(data))
		auditGit(t, h.dir, "add", "-A")
		auditGit(t, h.dir, "commit", "-q", "-m", msg)
	}
	sealed := []byte(cryptEncrypt(t, name, diffSecret, h.alice))
	commit("sealed for alice", sealed)

	rewrapped, _, err := crypto.Rewrap(name, sealed, ids, []string{h.alice.recipient(), h.bob.recipient()}, false)
	if err != nil {
		t.Fatal(err)
	}
	commit("re-wrapped for bob", rewrapped)

	edited := strings.Replace(diffSecret, "  user: admin\n", "", 1)
	edited = strings.Replace(edited, cryptValue, cryptToken, 1) + "  api-key: " + cryptValue + "\n"
	changed, err := crypto.Reencrypt(name, rewrapped, []byte(edited), ids)
	if err != nil {
		t.Fatal(err)
	}
	commit("password changed, api-key added, user removed", changed)

	rotated, _, err := crypto.Rewrap(name, changed, ids, []string{h.alice.recipient(), h.bob.recipient()}, true)
	if err != nil {
		t.Fatal(err)
	}
	commit("new data key", rotated)
	return h
}

// diffScrub replaces recipients and the fingerprints and digests that
// differ between runs with placeholders numbered in order of appearance,
// so that equal ones stay visibly equal.
func diffScrub(s string, ks ...*cryptKey) string {
	s = cryptScrub(s, "", ks...)
	seen := map[string]string{}
	return regexp.MustCompile(`\b[0-9a-f]{12}\b`).ReplaceAllStringFunc(s, func(hex string) string {
		if p, ok := seen[hex]; ok {
			return p
		}
		seen[hex] = "<H" + string(rune('A'+len(seen))) + ">"
		return seen[hex]
	})
}

// TestDiff runs seal diff over the history with and without a key.
func TestDiff(t *testing.T) {
	h := newDiffHistory(t)
	noKey := map[string]string{"HOME": t.TempDir()}
	withKey := map[string]string{"HOME": t.TempDir(), "SOPS_AGE_KEY_FILE": h.alice.file}
	var all strings.Builder
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"sealed, no key", noKey, []string{"HEAD~4", "HEAD~3"}},
		{"re-wrapped, no key", noKey, []string{"HEAD~3", "HEAD~2"}},
		{"edited, no key", noKey, []string{"HEAD~2", "HEAD~1"}},
		{"edited, with a key", withKey, []string{"HEAD~2", "HEAD~1"}},
		{"new data key, no key", noKey, []string{"HEAD~1", "HEAD"}},
		{"new data key, with a key", withKey, []string{"HEAD~1", "HEAD"}},
		{"new data key, --no-key", withKey, []string{"--no-key", "HEAD~1", "HEAD"}},
		{"a path filter that matches nothing", noKey, []string{"HEAD~3", "HEAD", "--", "clusters/dev"}},
	} {
		// The first commit has no parent: diff from git's empty tree.
		args := append([]string{"diff"}, tt.args...)
		for i, a := range args {
			if a == "HEAD~4" {
				args[i] = strings.TrimSpace(auditGit(t, h.dir, "hash-object", "-t", "tree", "/dev/null"))
			}
		}
		r := runSeal(t, h.dir, tt.env, "", args...)
		if r.Code != ExitOK || r.Stderr != "" {
			t.Errorf("%s: exit %d, stderr:\n%s", tt.name, r.Code, r.Stderr)
		}
		cryptNoLeak(t, tt.name, r)
		all.WriteString("$ seal diff " + strings.Join(tt.args, " ") + "   # " + tt.name + "\n" + r.Stdout + "\n")
	}
	golden(t, "diff.txt", diffScrub(all.String(), h.alice, h.bob))

	t.Run("identity flags", func(t *testing.T) {
		want := runSeal(t, h.dir, withKey, "", "diff", "HEAD~2", "HEAD~1")
		got := runSeal(t, h.dir, noKey, "", "diff", "--identity", h.alice.file, "HEAD~2", "HEAD~1")
		if diff := cmp.Diff(want, got); diff != "" || !strings.Contains(got.Stdout, "sealed for Secret/shop/db") {
			t.Errorf("--identity differs from SOPS_AGE_KEY_FILE (-want +got):\n%s", diff)
		}
		// -i still names an identity, with a warning: it will mean --in-place.
		want.Stderr = "seal: warning: -i FILE is deprecated: use --identity FILE (-i will mean --in-place, as in sops and seal encrypt and decrypt)\n"
		got = runSeal(t, h.dir, noKey, "", "diff", "-i", h.alice.file, "HEAD~2", "HEAD~1")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("-i (-want +got):\n%s", diff)
		}
	})

	t.Run("working tree and errors", func(t *testing.T) {
		cryptWrite(t, filepath.Join(h.dir, "notes.txt"), "changed\n")
		auditGit(t, h.dir, "add", "notes.txt")
		if err := os.Remove(h.file); err != nil {
			t.Fatal(err)
		}
		r := runSeal(t, h.dir, noKey, "", "diff")
		want := "clusters/prod/db.yaml: sealed file deleted\n  Secret shop/db: removed\n(1 changed files are not sealed: git diff shows them)\n"
		if r.Code != ExitOK || r.Stdout != want {
			t.Errorf("exit %d, stdout:\n%s\nwant:\n%s%s", r.Code, r.Stdout, want, r.Stderr)
		}
		r = runSeal(t, h.dir, noKey, "", "diff", "no-such-rev")
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, "seal: error: git diff --name-only -z --no-renames no-such-rev --: fatal: bad revision 'no-such-rev'") {
			t.Errorf("a bad revision: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = runSeal(t, h.dir, noKey, "", "diff", "a", "b", "c")
		if r.Code != ExitUsage || r.Stderr != "seal: error: seal diff takes at most two revisions, got 3 (put paths after --)\n" {
			t.Errorf("three revisions: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = runSeal(t, t.TempDir(), noKey, "", "diff")
		if r.Code != ExitFailure || !strings.Contains(r.Stderr, "is not in a Git checkout") {
			t.Errorf("outside a checkout: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

// TestGitDiffDriver sets the driver up with seal git-setup and runs the
// real git diff and git log -p, which run the built seal as textconv.
func TestGitDiffDriver(t *testing.T) {
	bins, err := harness.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newDiffHistory(t)
	cryptWrite(t, filepath.Join(h.dir, ".gitattributes"), "*.png binary")
	r := runSeal(t, h.dir, nil, "", "git-setup", "--command", bins.Seal)
	if r.Code != ExitOK || r.Stderr != "" {
		t.Fatalf("git-setup: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	golden(t, "git-setup.txt", strings.ReplaceAll(r.Stdout, bins.Seal, "<SEAL>"))
	if got, want := cryptRead(t, filepath.Join(h.dir, ".gitattributes")), "*.png binary\n*.yaml diff=seal\n*.yml diff=seal\n"; got != want {
		t.Errorf(".gitattributes:\n%s\nwant:\n%s", got, want)
	}
	again := runSeal(t, h.dir, nil, "", "git-setup", "--command", bins.Seal)
	if again.Code != ExitOK || strings.Count(again.Stdout, "unchanged") != 2 {
		t.Errorf("a second git-setup changed something: exit %d\n%s%s", again.Code, again.Stdout, again.Stderr)
	}

	git := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = h.dir
		cmd.Env = append(os.Environ(), append([]string{"HOME=" + t.TempDir(), "SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY=", "XDG_CONFIG_HOME=" + t.TempDir()}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	indexRe := regexp.MustCompile(`(?m)^index [0-9a-f]+\.\.[0-9a-f]+( \d+)?$`)
	scrub := func(s string) string { return diffScrub(indexRe.ReplaceAllString(s, "index <BLOBS>"), h.alice, h.bob) }
	log := git(nil, "log", "-p", "--format=commit: %s", "--", "clusters")
	if strings.Contains(log, "ENC[AES256_GCM") || strings.Contains(log, cryptValue) || strings.Contains(log, cryptToken) {
		t.Errorf("git log -p shows ciphertext or a value:\n%s", log)
	}
	golden(t, "git-log-p.txt", scrub(log))
	withKey := git([]string{"SOPS_AGE_KEY_FILE=" + h.alice.file}, "diff", "HEAD~1", "HEAD")
	if strings.Contains(withKey, cryptValue) || strings.Contains(withKey, cryptToken) {
		t.Errorf("git diff with a key shows a value:\n%s", withKey)
	}
	golden(t, "git-diff-new-data-key.txt", scrub(withKey))
}
