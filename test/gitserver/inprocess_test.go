package gitserver_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-cmp/cmp"

	"github.com/seal-gitops/seal/test/gitserver"
)

// TestAdvertiseInProcess shows that go-git's in-process advertisement
// lists the refs git http-backend lists, and that a clone through it
// works (its pack still comes from git http-backend).
func TestAdvertiseInProcess(t *testing.T) {
	list := func(t *testing.T, s *gitserver.Server, url string) ([]string, error) {
		t.Helper()
		r := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{url}})
		refs, err := r.List(&git.ListOptions{Auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}})
		var got []string
		for _, ref := range refs {
			got = append(got, ref.String())
		}
		sort.Strings(got)
		return got, err
	}
	var want []string
	for _, inProcess := range []bool{false, true} {
		s, err := gitserver.StartWithOptions(t.TempDir(), gitserver.Options{AdvertiseInProcess: inProcess})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		repo, err := s.CreateRepo("env", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		sha, err := repo.Commit("first", map[string][]byte{"apps/cm.yaml": []byte("kind: ConfigMap\n")})
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Tag("v1"); err != nil {
			t.Fatal(err)
		}
		got, err := list(t, s, s.HTTPURL("env"))
		if err != nil {
			t.Fatalf("in process %v: %v", inProcess, err)
		}
		// The SHAs differ between the two servers' repositories (commit
		// times): compare names, and the branch's SHA with the commit.
		names := make([]string, len(got))
		for i, ref := range got {
			names[i] = ref[strings.IndexByte(ref, ' ')+1:]
			if strings.HasSuffix(ref, " refs/heads/main") && !strings.HasPrefix(ref, sha) {
				t.Errorf("in process %v: %s, want %s on main", inProcess, ref, sha)
			}
		}
		if !inProcess {
			want = names
			continue
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("refs advertised in process (-git http-backend +go-git):\n%s", diff)
		}
		r, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: s.HTTPURL("env"),
			Auth: &githttp.BasicAuth{Username: s.Username, Password: s.Password}})
		if err != nil {
			t.Fatal(err)
		}
		checkClone(t, r, sha)
		if _, err := list(t, s, s.HTTPURL("missing")); err == nil {
			t.Error("a missing repository was advertised")
		}
		if _, err := list(t, s, strings.Replace(s.HTTPURL("env"), "/env.git", "/../../env.git", 1)); err == nil {
			t.Error("a path outside the root was advertised")
		}
	}
}
