package agent_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/seal-gitops/seal/agent/api/v1alpha1"
	"github.com/seal-gitops/seal/test/gitserver"
	"github.com/seal-gitops/seal/test/worktree"
)

// tempPackFiles lists go-git's temporary pack and object files under dir.
func tempPackFiles(t *testing.T, dir string) []string {
	t.Helper()
	found, err := gitserver.TempPackFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestFaultFetchOverTheCap starts the agent with --max-fetch-size of
// 1 MiB and pushes, under the change, a commit whose pack is over the cap
// (files that do not compress, each under it) or that holds one object
// over it (4 MiB of zeros, a few KiB packed): the GitSync turns
// Ready=False and Stalled with GitFetchFailed naming the URL and the cap,
// the applied revision stays whole (nothing changed, nothing pruned), the
// git cache keeps its packs and holds no temporary file. Once the branch
// is reset and force-pushed without the large files, the change is
// applied.
//
// Not parallel: git.TakeTraffic counts the shared git server's traffic,
// and the logged bytes of the refused fetch should be this test's alone.
func TestFaultFetchOverTheCap(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range []struct {
		name    string
		files   func(t *testing.T) map[string][]byte
		mention string
	}{
		{"pack over the cap", func(t *testing.T) map[string][]byte {
			files := map[string][]byte{}
			for i := range 4 {
				b := make([]byte, limit/2)
				if _, err := rand.Read(b); err != nil {
					t.Fatal(err)
				}
				files[fmt.Sprintf("assets/large-%d.bin", i)] = b
			}
			return files
		}, "the fetch downloaded more than the agent's limit of 1.0 MiB"},
		{"object over the cap", func(*testing.T) map[string][]byte {
			return map[string][]byte{"assets/zeros.bin": make([]byte, 4*limit)}
		}, "an object in the fetched pack unpacks to 4.0 MiB, over the agent's limit of 1.0 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "--max-fetch-size", fmt.Sprint(limit))
			s := newFaultScene(e, time.Hour, "fetchcap-pw1-5d0e3a", "fetchcap-pw2-c81b47", nil)
			data := filepath.Join(e.dir, "data")
			packs := cachedPacks(t, data)
			if len(packs) == 0 {
				t.Fatal("no pack file in the agent's git cache after the first sync")
			}

			if _, err := e.repo.Commit("large files", tc.files(t)); err != nil {
				t.Fatal(err)
			}
			git.TakeTraffic()
			s.change(nil) // commits on top of the large files and asks for a sync
			msg := e.waitFailed("apps", v1alpha1.ReasonGitFetchFailed)
			t.Logf("Ready message: %s", msg)
			t.Logf("the git server sent %d bytes over the wire for the refused fetch", git.TakeTraffic().WireOut)
			for _, want := range []string{git.HTTPURL(e.repo.Name), tc.mention, "--max-fetch-size=1048576", "raise --max-fetch-size"} {
				if !strings.Contains(msg, want) {
					t.Errorf("Ready message %q does not say %q", msg, want)
				}
			}
			gs := e.get("apps")
			if c := meta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled); c == nil ||
				c.Status != metav1.ConditionTrue || c.Reason != v1alpha1.ReasonGitFetchFailed {
				t.Errorf("Stalled condition %+v, want True with reason %s", c, v1alpha1.ReasonGitFetchFailed)
			}
			s.checkFirstIntact()
			if got := cachedPacks(t, data); !slices.Equal(packs, got) {
				t.Errorf("the refused fetch changed the git cache: pack files before %v, after %v", packs, got)
			}
			if tmp := tempPackFiles(t, data); len(tmp) > 0 {
				t.Errorf("the refused fetch left temporary files in the data directory: %v", tmp)
			}

			// Rewrite the branch without the large files: back to the
			// first revision, force-pushed, then the change again.
			if _, err := worktree.Git(e.repo.Dir(), "reset", "--quiet", "--hard", s.first); err != nil {
				t.Fatal(err)
			}
			if _, err := e.repo.Push(); err != nil {
				t.Fatal(err)
			}
			s.change(nil)
			s.waitSecond()
			if c := meta.FindStatusCondition(e.get("apps").Status.Conditions, v1alpha1.ConditionStalled); c != nil {
				t.Errorf("Stalled condition after the change was applied: %+v", c)
			}
			if tmp := tempPackFiles(t, data); len(tmp) > 0 {
				t.Errorf("temporary files in the data directory after the change was applied: %v", tmp)
			}
		})
	}
}
