package agent_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
)

// dataDirSize is the size of the tmpfs the disk-full test gives the agent
// as its data directory: room for the git cache of the test repository.
const dataDirSize = "16m"

// TestFaultDataDirectoryFull runs the agent with its data directory on a
// small tmpfs of its own (a user and mount namespace made by unshare, so
// the test needs no privilege), fills that file system while the first
// revision is applied, and pushes a second. The fetch fails with a
// condition that says the disk is full; the first revision stays applied,
// nothing is pruned. Once space is freed the agent fetches and applies the
// second revision without a restart.
func TestFaultDataDirectoryFull(t *testing.T) {
	t.Parallel()
	unshare, err := findUnshare()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.stopAgent()
	data := filepath.Join(e.dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	// sh mounts the tmpfs over --data-dir, then execs the agent in place.
	e.agentWrap = []string{unshare, "--user", "--map-root-user", "--mount", "sh", "-c",
		fmt.Sprintf(`mount -t tmpfs -o size=%s,mode=0700 tmpfs %q && exec "$0" "$@"`, dataDirSize, data)}
	e.startAgent()
	e.waitRecipient()

	const pw1, pw2 = "disk-full-first-pw-5d1e", "disk-full-second-pw-8a2c"
	e.secrets = append(e.secrets, pw1, pw2)
	s := newFaultScene(e, time.Hour, pw1, pw2, nil)

	// The agent's data directory, seen from here through its mount
	// namespace.
	mounted := filepath.Join(fmt.Sprintf("/proc/%d/root", e.agent.PID()), data)
	filler := filepath.Join(mounted, "filler")
	if err := fill(filler); err != nil {
		t.Fatalf("filling the agent's data directory: %v", err)
	}
	t.Logf("filled %s", mounted)

	s.change(nil)
	e.syncNow()
	msg := e.waitFailed("apps", v1alpha1.ReasonGitFetchFailed)
	if !strings.Contains(msg, "no space left on device") {
		t.Errorf("Ready message %q does not say the disk is full", msg)
	}
	t.Logf("with the data directory full: GitFetchFailed: %s", msg)
	s.checkFirstIntact()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	e.syncNow()
	s.waitSecond()
	e.checkNoPlaintextOnDisk(mounted)
}

// fill writes path until its file system is full.
func fill(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}

// findUnshare finds util-linux's unshare, which the test needs.
func findUnshare() (string, error) {
	for _, p := range []string{"/usr/bin/unshare", "/bin/unshare"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("unshare (util-linux) not found: the disk-full test runs the agent in a mount namespace of its own")
}
